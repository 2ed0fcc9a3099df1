import { describe, expect, it } from "vitest";
import { TEXT_DIM, fnv1a, normalizeText, textVector } from "./text-vector";
import { dot } from "../vector-codec";

describe("textVector", () => {
  it("is a unit vector of TEXT_DIM and deterministic", () => {
    const a = textVector({ title: "Chaz Kangeroo Hoodie", productType: "Hoodies", tags: ["Men", "Tops"] });
    expect(a.length).toBe(TEXT_DIM);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    const b = textVector({ title: "Chaz Kangeroo Hoodie", productType: "Hoodies", tags: ["Men", "Tops"] });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("uses a stable FNV-1a hash", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("gives the zero vector for empty input", () => {
    const z = textVector({ title: "", description: "<p> </p>", tags: [] });
    expect(z.length).toBe(TEXT_DIM);
    expect(z.every((x) => x === 0)).toBe(true);
  });

  it("strips HTML, decodes entities, lowercases and removes diacritics", () => {
    expect(normalizeText("<p>Caf&eacute; <b>CRÈME</b> &amp; Ｔｅｅ</p><script>x()</script>").trim()).toMatch(
      /^caf(&eacute;)?\s+creme\s+&\s+tee$/,
    );
    const a = textVector({ title: "Crème Tee", description: "<p>Soft <b>cotton</b></p>" });
    const b = textVector({ title: "creme tee", description: "soft cotton" });
    expect(dot(a, b)).toBeCloseTo(1, 5);
  });

  it("ranks related products above unrelated ones, title weighing more than description", () => {
    const q = textVector({ title: "Hooded running jacket", productType: "Jackets" });
    const rel = textVector({ title: "Running jacket with hood", productType: "Jackets", description: "light" });
    const unrel = textVector({ title: "Stainless steel watch", productType: "Watches", description: "running jacket" });
    expect(dot(q, rel)).toBeGreaterThan(dot(q, unrel) + 0.2);
    // Char 3-grams make near-spellings similar.
    const typo = textVector({ title: "Hoody" });
    const hood = textVector({ title: "Hoodie" });
    const mug = textVector({ title: "Mug" });
    expect(dot(typo, hood)).toBeGreaterThan(dot(typo, mug) + 0.2);
  });

  it("treats each whole tag and the product type as a category feature that outweighs a long description", () => {
    const desc = "Soft cotton jersey for training, running and everyday wear. ".repeat(6);
    const men = textVector({ title: "Aero Tee", productType: "Tees", tags: ["Men", "Tops", "Tees"], description: desc });
    const men2 = textVector({ title: "Cobalt Tee", productType: "Tees", tags: ["Men", "Tops", "Tees"], description: "Breathable." });
    const women = textVector({ title: "Aero Tee", productType: "Tees", tags: ["Women", "Tops", "Tees"], description: desc });
    expect(dot(men, men2)).toBeGreaterThan(dot(men, women));
  });
});
