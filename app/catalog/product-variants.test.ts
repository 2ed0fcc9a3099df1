import { describe, expect, it } from "vitest";
import { parseVariants, readStoredVariants, variantForPhoto, variantNumericId, VariantDataError, type ProductVariant } from "./product-variants";

const photos = ["https://cdn/red.jpg", "https://cdn/blue.jpg", "https://cdn/side.jpg"];

describe("parseVariants", () => {
  it("links each variant to its own stored photo by URL (image.url or its first media), -1 without one", () => {
    const v = parseVariants(
      [
        { id: "gid://shopify/ProductVariant/11", price: "52.00", availableForSale: true, image: { url: "https://cdn/red.jpg" } },
        { id: "gid://shopify/ProductVariant/12", price: "49.5", availableForSale: false, media: { nodes: [{ image: { url: "https://cdn/blue.jpg" } }] } },
        { id: 13, price: { amount: "50", currencyCode: "USD" }, image: null },
        { id: "gid://shopify/ProductVariant/14", price: "50", image: { url: "https://cdn/not-stored.jpg" } },
      ],
      photos,
      "1",
    );
    expect(v).toEqual([
      { id: "11", price: "52.00", available: true, photo: 0 },
      { id: "12", price: "49.50", available: false, photo: 1 },
      { id: "13", price: "50.00", available: true, photo: -1 },
      { id: "14", price: "50.00", available: true, photo: -1 },
    ]);
  });

  it("skips variants without an id (old catalog files) and duplicates", () => {
    expect(parseVariants([{ price: "1" }, { id: "5", price: "1" }, { id: "gid://shopify/ProductVariant/5", price: "2" }], photos, "1")).toEqual([
      { id: "5", price: "1.00", available: true, photo: -1 },
    ]);
  });

  it("refuses malformed variant data with a clear error", () => {
    expect(() => parseVariants([{ id: "gid://shopify/Product/5", price: "1" }], photos, "7")).toThrow(/product 7: invalid variant id/);
    expect(() => parseVariants([{ id: "5", price: "cheap" }], photos, "7")).toThrow(VariantDataError);
    expect(() => parseVariants([{ id: "5", price: "-1" }], photos, "7")).toThrow(/invalid price/);
    expect(() => parseVariants([{ id: "5" }], photos, "7")).toThrow(/invalid price/);
    expect(() => parseVariants([{ id: "5", price: "1", availableForSale: "yes" }], photos, "7")).toThrow(/availableForSale/);
    expect(() => parseVariants([null as unknown as Record<string, unknown>], photos, "7")).toThrow(/not an object/);
  });

  it("reads numeric ids only", () => {
    expect(variantNumericId("gid://shopify/ProductVariant/9")).toBe("9");
    expect(variantNumericId(9)).toBe("9");
    expect(variantNumericId("gid://shopify/Product/9")).toBeNull();
    expect(variantNumericId("9; drop")).toBeNull();
  });
});

describe("readStoredVariants", () => {
  it("reads what was stored and tolerates damage", () => {
    const v: ProductVariant[] = [{ id: "1", price: "1.00", available: true, photo: 0 }];
    expect(readStoredVariants(JSON.stringify(v))).toEqual(v);
    expect(readStoredVariants("[]")).toEqual([]);
    expect(readStoredVariants("{oops")).toEqual([]);
    expect(readStoredVariants('[{"id":1}]')).toEqual([]);
  });
});

describe("variantForPhoto", () => {
  const red: ProductVariant = { id: "r-s", price: "10.00", available: false, photo: 0 };
  const redM: ProductVariant = { id: "r-m", price: "11.00", available: true, photo: 0 };
  const blue: ProductVariant = { id: "b", price: "12.00", available: true, photo: 1 };
  const plain: ProductVariant = { id: "p", price: "13.00", available: true, photo: -1 };

  it("the photo's first available variant, else its first (sold out) when the shop shows sold-out products", () => {
    expect(variantForPhoto([red, redM, blue], 0, false)).toBe(redM);
    expect(variantForPhoto([red, blue], 0, false)).toBe(red);
    expect(variantForPhoto([red, blue], 1, false)).toBe(blue);
  });

  it("a photo of no variant: no variant (the product's own card)", () => {
    expect(variantForPhoto([red, blue], 2, true)).toBeNull();
  });

  it("hide out of stock: the matched variant sold out → another available one, one with a photo first; none → null", () => {
    expect(variantForPhoto([plain, red, blue], 0, true)).toBe(blue);
    expect(variantForPhoto([red, plain], 0, true)).toBe(plain);
    expect(variantForPhoto([red, { ...blue, available: false }], 0, true)).toBeNull();
  });
});
