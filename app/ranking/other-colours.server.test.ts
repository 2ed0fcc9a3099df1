import { describe, expect, it } from "vitest";
import { l2normalize } from "../embedding/vector-codec";
import type { LiveCard, LiveCatalog } from "../live-index/live-catalog";
import { rulesFromRows } from "../live-index/product-rules";
import { ShopVectorIndex, type ChannelProjections, type ChannelWeights } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS, type ShopSettings } from "../shops/shop-settings";
import { OTHER_COLOURS_RULE, rankOtherColours } from "./other-colours.server";
import { ProductNotFound } from "./ranking-errors";

const dims = { image: 4, color: 3, text: 2 };
const v = (...xs: number[]) => l2normalize(xs);
const RED = v(1, 0, 0);
const BLUE = v(0, 1, 0);
const GREEN = v(0, 0, 1);
const TEXT = v(1, 0);

/**
 * A red tee and what a shop lists beside it: the same tee in blue and green (same shape: image
 * cosine 0.95 / 0.9), the same tee again in red (same colour), another tee shape in blue (image
 * cosine 0), a bag of the same shape in blue (another kind), a second blue listing of the tee a bit
 * less alike (the same colour as a better one: one card per colour).
 */
const PRODUCTS: { id: string; image: number[]; color: Float32Array; type: string; available?: boolean }[] = [
  { id: "tee-red", image: [1, 0, 0, 0], color: RED, type: "Tee" },
  { id: "tee-blue", image: [0.95, Math.sqrt(1 - 0.95 ** 2), 0, 0], color: BLUE, type: "Tee" },
  { id: "tee-green", image: [0.9, 0, Math.sqrt(1 - 0.9 ** 2), 0], color: GREEN, type: "tee" },
  { id: "tee-red-again", image: [0.97, 0, 0, Math.sqrt(1 - 0.97 ** 2)], color: RED, type: "Tee" },
  { id: "other-tee-blue", image: [0, 1, 0, 0], color: BLUE, type: "Tee" },
  { id: "bag-blue", image: [0.99, 0, Math.sqrt(1 - 0.99 ** 2), 0], color: BLUE, type: "Bag" },
  { id: "tee-blue-2", image: [0.8, 0, 0, 0.6], color: v(0.05, 1, 0), type: "Tee" },
];

function catalogOf(opts: { weights?: ChannelWeights; settings?: Partial<ShopSettings>; unavailable?: string[]; projections?: ChannelProjections } = {}): LiveCatalog {
  const index = new ShopVectorIndex({ dims, weights: opts.weights ?? { image: 0.4, color: 0.1, text: 0.5 }, projections: opts.projections });
  const cards = new Map<string, LiveCard>();
  for (const p of PRODUCTS) {
    index.upsert(p.id, { image: v(...p.image), color: p.color, text: TEXT }, { price: 10, available: !opts.unavailable?.includes(p.id), productType: p.type, vendor: "", tags: [] });
    cards.set(p.id, { id: p.id, handle: p.id, title: p.id, price: "10.00", currency: "USD", image: null, url: `/products/${p.id}`, variantId: null, available: true, localImage: false });
  }
  return { index, cards, settings: { ...DEFAULT_SETTINGS, ...opts.settings }, rules: new Map() } as unknown as LiveCatalog;
}

const ids = (c: LiveCatalog, id = "tee-red", limit = 4, filter = {}) => rankOtherColours(c, id, limit, filter).map((h) => h.id);

describe("also in other colours (rankOtherColours)", () => {
  it("same kind and shape in another colour, by image similarity; never the same colour, another shape or another kind", () => {
    const c = catalogOf();
    const hits = rankOtherColours(c, "tee-red", 4, {});
    // tee-blue-2 is blue like tee-blue (one card per colour); its image cosine 0.8 passes the bar.
    expect(hits.map((h) => h.id)).toEqual(["tee-blue", "tee-green"]);
    expect(hits[0].score).toBeCloseTo(0.95, 4);
    expect(hits[1].score).toBeCloseTo(0.9, 4);
    expect(hits[0].contributions.color).toBeCloseTo(0, 4);
    // Product types compare without case, as the filters do.
    expect(ids(c, "tee-green")).toContain("tee-red");
    expect(ids(c, "tee-red", 1)).toEqual(["tee-blue"]);
    expect(ids(c, "tee-red", 0)).toEqual([]);
  });

  it("the thresholds decide: a colour bar above 1 admits the same colour (and two cards of one colour), a higher image bar keeps only the closest", () => {
    const c = catalogOf();
    expect(rankOtherColours(c, "tee-red", 4, {}, { ...OTHER_COLOURS_RULE, maxColour: 1.01 }).map((h) => h.id)).toEqual(["tee-red-again", "tee-blue", "tee-green", "tee-blue-2"]);
    expect(rankOtherColours(c, "tee-red", 4, {}, { ...OTHER_COLOURS_RULE, minImage: 0.92 }).map((h) => h.id)).toEqual(["tee-blue"]);
    // Without the one-card-per-colour rule's rival, the second blue listing shows.
    expect(rankOtherColours(c, "tee-red", 4, { excludeIds: ["tee-blue"] }).map((h) => h.id)).toEqual(["tee-green", "tee-blue-2"]);
  });

  it("follows the shop's settings, the request's filter and the merchant's excludes", () => {
    expect(ids(catalogOf({ settings: { hideOutOfStock: true }, unavailable: ["tee-blue"] }))).toEqual(["tee-green", "tee-blue-2"]);
    expect(ids(catalogOf({ settings: { hideOutOfStock: true } }), "tee-red", 4, { available: false })).toEqual([]);
    const c = catalogOf();
    expect(ids(c, "tee-red", 4, { productTypes: ["Bag"] })).toEqual([]);
    expect(ids(c, "tee-red", 4, { productTypes: ["tee", "Bag"] })).toEqual(["tee-blue", "tee-green"]);
    c.rules = rulesFromRows([{ productId: "tee-red", targetId: "tee-green", kind: "exclude" }]);
    expect(ids(c)).toEqual(["tee-blue"]);
  });

  it("a product without a type is matched by shape and colour alone", () => {
    const c = catalogOf();
    c.index.upsert("untyped", { image: v(1, 0, 0, 0), color: RED, text: TEXT }, { price: 10, available: true, productType: "", vendor: "", tags: [] });
    c.cards.set("untyped", { ...c.cards.get("tee-red")!, id: "untyped" });
    // No kind to keep to: the same-shaped blue bag counts, and is the row's blue card.
    expect(ids(c, "untyped")).toEqual(["bag-blue", "tee-green"]);
  });

  it("answers nothing when a channel it needs is weighted 0 (the index holds no such vector); unknown product is ProductNotFound", () => {
    expect(ids(catalogOf({ weights: { image: 0.5, color: 0, text: 0.5 } }))).toEqual([]);
    expect(ids(catalogOf({ weights: { image: 0, color: 0.5, text: 0.5 } }))).toEqual([]);
    expect(() => rankOtherColours(catalogOf(), "nope", 4, {})).toThrow(ProductNotFound);
  });

  it("a product without a colour signature is never called another colour", () => {
    const c = catalogOf();
    c.index.upsert("tee-unknown", { image: v(0.99, 0.14, 0, 0), text: TEXT }, { price: 10, available: true, productType: "Tee", vendor: "", tags: [] });
    c.cards.set("tee-unknown", { ...c.cards.get("tee-red")!, id: "tee-unknown" });
    expect(ids(c)).not.toContain("tee-unknown");
    expect(ids(c, "tee-unknown")).toEqual([]); // nor has it other colours itself
  });

  it("searchByProductChannel: one channel of the product's stored point, never the product itself", () => {
    const c = catalogOf();
    const hits = c.index.searchByProductChannel("tee-red", "image", { k: 3 });
    expect(hits.map((h) => h.id)).toEqual(["bag-blue", "tee-red-again", "tee-blue"]);
    expect(hits[0].score).toBeCloseTo(0.4 * 0.99, 4); // the image weight × the image cosine
    expect(c.index.searchByProductChannel("nope", "image", { k: 3 })).toEqual([]);
  });

  it("a shop whose image channel is stored through a learned projection (decision 19): searched in the stored space", () => {
    // Onto the first three image axes: every tee but the ones leaning on the fourth keeps its vector.
    const basis = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    const c = catalogOf({ projections: { image: { inDim: 4, outDim: 3, basis } } });
    expect(c.index.channelVectors("tee-red")!.image).toHaveLength(3);
    expect(ids(c)).toEqual(["tee-blue", "tee-green"]);
  });

  it("channelVectors reads back what was upserted, without the weights", () => {
    const c = catalogOf();
    const back = c.index.channelVectors("tee-blue")!;
    expect([...back.image!].map((x) => Number(x.toFixed(5)))).toEqual([...v(...PRODUCTS[1].image)].map((x) => Number(x.toFixed(5))));
    expect([...back.color!]).toEqual([0, 1, 0]);
    expect(c.index.channelVectors("nope")).toBeUndefined();
    expect(catalogOf({ weights: { image: 0.5, color: 0, text: 0.5 } }).index.channelVectors("tee-blue")!.color).toBeUndefined();
  });
});
