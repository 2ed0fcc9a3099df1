import { describe, expect, it } from "vitest";
import { PRODUCT_TEXT_MAX_CHARS, productText } from "./product-text";

describe("productText", () => {
  it("joins the fields most important first, one sentence each, skipping empty ones", () => {
    expect(productText({ title: "Chaz Kangeroo Hoodie", productType: "Hoodies", vendor: "Luma", tags: ["Men", " Tops "], description: "Soft  fleece.\nWarm." })).toBe(
      "Chaz Kangeroo Hoodie. Hoodies. Luma. Men, Tops. Soft fleece. Warm.",
    );
    expect(productText({ title: "Mug", tags: [] })).toBe("Mug.");
    expect(productText({ title: "" })).toBe("");
  });

  it("is capped", () => {
    expect(productText({ title: "t", description: "word ".repeat(2_000) }).length).toBe(PRODUCT_TEXT_MAX_CHARS);
  });
});
