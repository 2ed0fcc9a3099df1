import { describe, expect, it } from "vitest";
import { minOf, parseProductNode, productNumericId, ProductNodeError, restProductToNode } from "./product-node";

const node = {
  id: "gid://shopify/Product/42",
  handle: "red-shirt",
  title: "Red Shirt",
  descriptionHtml: "<p>Soft &amp; <b>warm</b></p><script>alert(1)</script>",
  productType: "Shirts",
  vendor: "Acme",
  tags: ["Red", "Cotton"],
  status: "ACTIVE",
  updatedAt: "2026-01-01T00:00:00Z",
  priceRangeV2: { minVariantPrice: { amount: "19.5", currencyCode: "EUR" } },
  media: { nodes: [{ image: { url: "images/a.jpg" } }, { image: { url: "images/b.jpg" } }] },
  variants: { nodes: [{ price: "19.50", availableForSale: false }, { price: "25.00", availableForSale: true }] },
};

describe("parseProductNode", () => {
  it("maps an Admin GraphQL Product node to a record", () => {
    const p = parseProductNode(node);
    expect(p).toMatchObject({
      id: "42",
      handle: "red-shirt",
      descriptionText: "Soft & warm",
      price: 19.5,
      priceText: "19.50",
      currency: "EUR",
      available: true,
      imageUrls: ["images/a.jpg", "images/b.jpg"],
    });
  });

  it("changes the image hash only when images change, the text hash only when text changes", () => {
    const a = parseProductNode(node);
    const priceOnly = parseProductNode({ ...node, priceRangeV2: { minVariantPrice: { amount: "9", currencyCode: "EUR" } } });
    expect(priceOnly.textHash).toBe(a.textHash);
    expect(priceOnly.imageHash).toBe(a.imageHash);
    const retitled = parseProductNode({ ...node, title: "Blue Shirt" });
    expect(retitled.textHash).not.toBe(a.textHash);
    expect(retitled.imageHash).toBe(a.imageHash);
    const reimaged = parseProductNode({ ...node, media: { nodes: [{ image: { url: "images/c.jpg" } }] } });
    expect(reimaged.imageHash).not.toBe(a.imageHash);
  });

  it("rejects nodes without id or title with a reason", () => {
    expect(() => parseProductNode({ title: "x" })).toThrow(ProductNodeError);
    expect(() => parseProductNode({ id: "gid://shopify/Product/1" })).toThrow(/no title/);
    expect(() => parseProductNode("nope")).toThrow(ProductNodeError);
  });

  it("decodes HTML entities in titles and descriptions", () => {
    const p = parseProductNode({ ...node, title: "CoolTech&trade; Hoodie", descriptionHtml: "<p>Caf&eacute; &amp; more&nbsp;here</p>" });
    expect(p.title).toBe("CoolTech™ Hoodie");
    expect(p.descriptionText).toBe("Café & more here");
  });

  it("keeps emoji and right-to-left titles, caps 10,000 tags, survives absurd prices", () => {
    const p = parseProductNode({ ...node, title: "שמלה 👗", tags: Array.from({ length: 10_000 }, (_, i) => `t${i}`), priceRangeV2: { minVariantPrice: { amount: "1e300" } } });
    expect(p.title).toBe("שמלה 👗");
    expect(p.tags.length).toBe(250);
    expect(Number.isFinite(p.price)).toBe(true);
  });
});

describe("payload-sized arrays", () => {
  it("parses a webhook product with 200,000 variants (no argument spread: was RangeError → 500)", () => {
    const variants = Array.from({ length: 200_000 }, (_, i) => ({ price: String(10 + (i % 1000)), inventory_management: null }));
    variants[123_456].price = "3.50";
    const payload = { id: 42, title: "Many variants", updated_at: "2026-01-01T00:00:00Z", variants };
    expect(parseProductNode(restProductToNode(payload))).toMatchObject({ id: "42", price: 3.5, priceText: "3.50", available: true });
    // The GraphQL shape without a price range: the minimum of the variants' prices.
    const node = { id: "gid://shopify/Product/43", title: "Bulk", variants: { nodes: variants.map((v) => ({ price: v.price })) } };
    expect(parseProductNode(node).price).toBe(3.5);
  });

  it("minOf is Math.min without the spread", () => {
    expect(minOf([])).toBe(Infinity);
    expect(minOf([3, 1, 2])).toBe(1);
    expect(minOf([3, NaN, 1])).toBeNaN();
  });
});

describe("productNumericId", () => {
  it("accepts numeric ids and product gids only", () => {
    expect(productNumericId("gid://shopify/Product/123")).toBe("123");
    expect(productNumericId("123")).toBe("123");
    expect(productNumericId("gid://shopify/Collection/123")).toBeNull();
    expect(productNumericId("1 OR 1=1")).toBeNull();
  });
});

describe("variants", () => {
  const withVariants = (media: string[], variants: Record<string, unknown>[]) =>
    parseProductNode({ ...node, media: { nodes: media.map((url) => ({ image: { url } })) }, variants: { nodes: variants } });

  it("carries each variant's id, price, availability and own photo", () => {
    const p = withVariants(["a.jpg", "red.jpg", "blue.jpg"], [
      { id: "gid://shopify/ProductVariant/1", price: "19.50", availableForSale: false, image: { url: "red.jpg" } },
      { id: "gid://shopify/ProductVariant/2", price: "25.00", availableForSale: true, image: { url: "blue.jpg" } },
    ]);
    expect(p.variants).toEqual([
      { id: "1", price: "19.50", available: false, photo: 1 },
      { id: "2", price: "25.00", available: true, photo: 2 },
    ]);
  });

  it("keeps variants' photos among the stored four when a product has more photos, in the media order", () => {
    const media = ["f.jpg", "x1.jpg", "x2.jpg", "x3.jpg", "red.jpg", "blue.jpg"];
    const p = withVariants(media, [
      { id: "1", price: "1", image: { url: "red.jpg" } },
      { id: "2", price: "1", image: { url: "blue.jpg" } },
    ]);
    expect(p.imageUrls).toEqual(["f.jpg", "x1.jpg", "red.jpg", "blue.jpg"]);
    expect(p.variants.map((v) => v.photo)).toEqual([2, 3]);
    // Without variant photos the first four are kept, as before.
    expect(withVariants(media, []).imageUrls).toEqual(media.slice(0, 4));
  });

  it("malformed variant data refuses the product (nothing is half-written)", () => {
    expect(() => withVariants(["a.jpg"], [{ id: "gid://shopify/Product/3", price: "1" }])).toThrow(ProductNodeError);
    expect(() => withVariants(["a.jpg"], [null as unknown as Record<string, unknown>])).toThrow(/a variant is not an object/);
  });

  it("REST payloads: a variant's image_id (or an image's variant_ids) links its photo; another product's ids are ignored", () => {
    const rest = {
      id: 42, title: "Shirt", updated_at: "2026-01-01T00:00:00Z",
      image: { id: 100, src: "https://cdn/f.jpg" },
      images: [
        { id: 100, src: "https://cdn/f.jpg", variant_ids: [] },
        { id: 101, src: "https://cdn/red.jpg", variant_ids: [7] },
        { id: 102, src: "https://cdn/blue.jpg", variant_ids: [999] },
      ],
      variants: [
        { id: 7, price: "10.00", inventory_management: "shopify", inventory_quantity: 0, image_id: null },
        { id: 8, price: "12.00", inventory_management: null, image_id: 555 },
        { id: 9, price: "12.00", inventory_management: null, image_id: 102 },
      ],
    };
    const p = parseProductNode(restProductToNode(rest));
    expect(p.imageUrls).toEqual(["https://cdn/f.jpg", "https://cdn/red.jpg", "https://cdn/blue.jpg"]);
    expect(p.variants).toEqual([
      { id: "7", price: "10.00", available: false, photo: 1 },
      { id: "8", price: "12.00", available: true, photo: -1 },
      { id: "9", price: "12.00", available: true, photo: 2 },
    ]);
  });
});
