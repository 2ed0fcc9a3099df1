import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { l2normalize } from "../embedding/vector-codec";
import type { ProductAttributes } from "./filters";
import { ProductImageIndex } from "./product-image-index.server";
import { seededRandom as createRandom } from "../shared/seeded-random";

const DIM = 32;
const attrs = (price: number, productType = "Tee"): ProductAttributes => ({ price, available: true, productType, vendor: "V", tags: [] });

function randomUnit(rnd: () => number): Float32Array {
  return l2normalize(Float32Array.from({ length: DIM }, () => rnd() - 0.5));
}

/** A vector at cosine ≈ `cos` with `base` (base + noise, re-normalised). */
function near(base: Float32Array, noise: Float32Array, mix: number): Float32Array {
  return l2normalize(base.map((x, i) => (1 - mix) * x + mix * noise[i]));
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe("ProductImageIndex", () => {
  it("ranks a product by its best photo, not by the mean of its photos", () => {
    const rnd = createRandom(1);
    const query = randomUnit(rnd);
    const idx = ProductImageIndex.create(DIM);
    // "one-match": one photo nearly equal to the query, three unrelated photos (its mean is far).
    idx.setProduct("one-match", [near(query, randomUnit(rnd), 0.1), randomUnit(rnd), randomUnit(rnd), randomUnit(rnd)], attrs(10));
    // "so-so": every photo moderately close, so its mean is closer than one-match's mean.
    idx.setProduct("so-so", [0, 1, 2, 3].map(() => near(query, randomUnit(rnd), 0.6)), attrs(10));
    const [first, second] = idx.search(query, { k: 2 });
    expect(first.id).toBe("one-match");
    expect(second.id).toBe("so-so");
    expect(first.contributions.image).toBeCloseTo(first.score, 6);
    expect(first.score).toBeGreaterThan(0.9);
  });

  it("tells which of a product's photos matched best (the card shows that photo's variant)", () => {
    const rnd = createRandom(5);
    const query = randomUnit(rnd);
    const idx = ProductImageIndex.create(DIM);
    idx.setProduct("shirt", [randomUnit(rnd), randomUnit(rnd), near(query, randomUnit(rnd), 0.1), randomUnit(rnd)], attrs(10));
    idx.setProduct("mug:1#2", [near(query, randomUnit(rnd), 0.2), randomUnit(rnd)], attrs(10));
    const hits = idx.search(query, { k: 2 });
    expect(hits.map((h) => [h.id, h.photo])).toEqual([["shirt", 2], ["mug:1#2", 0]]);
  });

  it("returns each product once and still min(k, matching products) under a filter", () => {
    const rnd = createRandom(2);
    const query = randomUnit(rnd);
    const idx = ProductImageIndex.create(DIM, 8);
    const photos = new Map<string, Float32Array[]>();
    for (let p = 0; p < 60; p++) {
      // Products 0–9 have four photos all close to the query: they would fill any top-k of points.
      const vs = p < 10 ? [0, 1, 2, 3].map(() => near(query, randomUnit(rnd), 0.2)) : [randomUnit(rnd), randomUnit(rnd)];
      photos.set(`p${p}`, vs);
      idx.setProduct(`p${p}`, vs, attrs(p % 2 === 0 ? 10 : 99));
    }
    const hits = idx.search(query, { k: 12 });
    expect(hits).toHaveLength(12);
    expect(new Set(hits.map((h) => h.id)).size).toBe(12);
    // Best-photo score, exactly, and best first.
    for (const h of hits) expect(h.score).toBeCloseTo(Math.max(...photos.get(h.id)!.map((v) => cosine(v, query))), 4);
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));

    const cheap = idx.search(query, { k: 25, filter: { maxPrice: 50, excludeIds: ["p0", "p2"] } });
    expect(cheap).toHaveLength(25);
    expect(new Set(cheap.map((h) => h.id)).size).toBe(25);
    expect(cheap.every((h) => Number(h.id.slice(1)) % 2 === 0)).toBe(true);
    expect(cheap.map((h) => h.id)).not.toContain("p0");
    expect(cheap.map((h) => h.id)).not.toContain("p2");
    // Fewer matching products than k: all of them, once each.
    expect(idx.search(query, { k: 40, filter: { maxPrice: 50 } })).toHaveLength(30);
  });

  it("replaces and removes a product's photos, and survives save/load", async () => {
    const rnd = createRandom(3);
    const query = randomUnit(rnd);
    const idx = ProductImageIndex.create(DIM);
    idx.setProduct("a", [randomUnit(rnd), randomUnit(rnd), query], attrs(1));
    idx.setProduct("b", [randomUnit(rnd)], attrs(1));
    expect(idx.search(query, { k: 1 })[0].id).toBe("a");
    idx.setProduct("a", [randomUnit(rnd)], attrs(1)); // fewer photos: the old third photo is gone
    expect(idx.photos).toBe(2);
    expect(idx.search(query, { k: 2 }).every((h) => h.score < 0.9)).toBe(true);
    idx.setProduct("c", [query, randomUnit(rnd)], attrs(1));

    const dir = await mkdtemp(path.join(tmpdir(), "img-idx-"));
    try {
      await idx.save(dir);
      const loaded = (await ProductImageIndex.load(dir))!;
      expect(loaded.size).toBe(3);
      expect(loaded.photos).toBe(4);
      expect(loaded.search(query, { k: 3 }).map((h) => h.id)[0]).toBe("c");
      expect(loaded.removeProduct("c")).toBe(true);
      expect(loaded.search(query, { k: 3 }).map((h) => h.id).sort()).toEqual(["a", "b"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
