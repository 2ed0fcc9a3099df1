import { describe, expect, it } from "vitest";
import { l2normalize } from "../embedding/vector-codec";
import type { LiveCard, LiveCatalog } from "../live-index/live-catalog";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../shops/shop-settings";
import { withFeedback } from "./photo.server";
import { ProductNotFound } from "./ranking-errors";
import { IN_STOCK_BOOST, rankSimilar, rankSimilarStored } from "./similar.server";

// The fixture of photo.server.test.ts: two "tees" (text axis 0) and one "bag" (text axis 1).
const dims = { image: 4, color: 3, text: 3 };
const attrs = { price: 10, available: true, productType: "", vendor: "", tags: [] };
const v = (...xs: number[]) => l2normalize(xs);

function index(weights = { image: 0.4, color: 0.1, text: 0.5 }) {
  const idx = new ShopVectorIndex({ dims, weights });
  idx.upsert("tee-a", { image: v(1, 0, 0, 0), color: v(1, 0, 0), text: v(1, 0, 0) }, attrs);
  idx.upsert("tee-b", { image: v(0.5, 0, 1, 0), color: v(0, 1, 0), text: v(1, 0.1, 0) }, attrs);
  idx.upsert("bag", { image: v(0.6, 0, 0.8, 0.3), color: v(0, 0, 1), text: v(0, 1, 0) }, attrs);
  return idx;
}

/** A live catalog around the index: default settings, no rules, a card per product (distinct titles: no variant collapsing). */
function catalogOf(idx: ShopVectorIndex): LiveCatalog {
  const cards = new Map<string, LiveCard>(
    [...idx.ids()].map((id) => [
      id,
      { id, handle: id, title: id, price: "10.00", currency: "USD", image: null, url: `/products/${id}`, variantId: null, available: true, localImage: false },
    ]),
  );
  return { index: idx, cards, settings: DEFAULT_SETTINGS, rules: new Map() } as unknown as LiveCatalog;
}

describe("similar products (rankSimilar, the live path)", () => {
  it("without rules: the plain index search, each score raised by the in-stock boost; feedback keeps score = Σ contributions; unknown product is ProductNotFound", () => {
    const idx = index();
    const plain = idx.searchByProduct("tee-a", { k: 2 });
    const ranked = rankSimilar(catalogOf(idx), "tee-a", 2, {});
    expect(ranked.map((h) => h.id)).toEqual(plain.map((h) => h.id));
    ranked.forEach((h, i) => expect(h.score).toBeCloseTo(plain[i].score + IN_STOCK_BOOST, 6));
    // Feedback over the product's neighbourhood (what similarProducts did with a feedback config).
    const fb = withFeedback(idx, idx.searchByProduct("tee-a", { k: 10 }), 2, {}, { hits: 1, weight: 1, pool: 10, channels: ["text"], keepHead: 0 });
    expect(fb.map((h) => h.id)).not.toContain("tee-a");
    expect(fb[0].id).toBe("tee-b");
    for (const h of fb) expect(h.score).toBeCloseTo(h.contributions.image + h.contributions.color + h.contributions.text, 6);
    expect(() => rankSimilar(catalogOf(idx), "nope", 2, {})).toThrow(ProductNotFound);
  });

  it("rankSimilarStored answers as rankSimilar once the lists are made, and null while only a search can", async () => {
    const idx = index();
    const catalog = catalogOf(idx);
    expect(rankSimilarStored(catalog, "tee-a", 2, {})).toBeNull(); // lists not made yet
    await idx.whenNeighboursMade();
    expect(rankSimilarStored(catalog, "tee-a", 2, {})).toEqual(rankSimilar(catalog, "tee-a", 2, {}));
    expect(rankSimilarStored(catalog, "tee-a", 2, { excludeIds: ["bag"] })).toEqual(rankSimilar(catalog, "tee-a", 2, { excludeIds: ["bag"] }));
    expect(() => rankSimilarStored(catalog, "nope", 2, {})).toThrow(ProductNotFound);
  });
});
