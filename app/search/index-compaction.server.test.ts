import { describe, expect, it } from "vitest";
import { ShopVectorIndex } from "./shop-vector-index.server";
import { syntheticCatalog, syntheticQuery } from "../../scripts/lib/synthetic-catalog";
import { bruteForce, build, dims, recall, weights } from "../../test/support/shop-vector-index";

describe("ShopVectorIndex compaction", () => {
  const products = syntheticCatalog({ n: 600, dims, clusters: 10, seed: 11 });

  it("compacts after many deletes and keeps results correct", async () => {
    const idx = build(products, { initialCapacity: 600 });
    expect(idx.stats().capacity).toBe(600);
    for (let i = 0; i < 120; i++) idx.remove(products[i].id);
    expect(idx.stats().deleted).toBe(120); // exactly 20%: not yet
    idx.remove(products[120].id);
    expect(idx.compactingNow).toBe(true);
    await idx.whenCompacted();
    const s = idx.stats();
    expect(s.deleted).toBe(0);
    expect(s.size).toBe(479);
    const live = products.slice(121);
    for (let i = 0; i < 20; i++) {
      const q = syntheticQuery(live[i * 7].vectors, i);
      const hits = idx.searchByVectors(q, { k: 10 });
      expect(recall(hits, bruteForce(live, q, 10))).toBeGreaterThanOrEqual(0.9);
      expect(idx.searchByProduct(live[i].id, { k: 5 }).some((h) => h.id === live[i].id)).toBe(false);
    }
    idx.upsert("new", products[0].vectors, products[0].attrs);
    expect(idx.searchByVectors(products[0].vectors, { k: 1 })[0].id).toBe("new");
  });

  it("compacts in the background: the event loop keeps turning, and what changes meanwhile is served as changed", async () => {
    // 1,500 products at a larger dimension: a synchronous compaction is one long block here.
    const bigDims = { image: 512, color: 12, text: 24 };
    const catalog = syntheticCatalog({ n: 1500, dims: bigDims, clusters: 20, seed: 11 });
    const idx = new ShopVectorIndex({ dims: bigDims, weights, M: 16, efConstruction: 200, initialCapacity: 1500 });
    for (const p of catalog) idx.upsert(p.id, p.vectors, p.attrs);
    for (let i = 0; i < 301; i++) idx.remove(catalog[i].id); // > 20 % of 1,500: compaction starts
    expect(idx.compactingNow).toBe(true);

    // The event loop is handed back while it runs: timers fire, with short gaps.
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 1);
    // Changes meanwhile, to products already copied (the first ones) and not yet copied: removals,
    // replacements (a new vector), a new product.
    await new Promise((r) => setTimeout(r, 20));
    expect(idx.compactingNow).toBe(true);
    idx.remove(catalog[301].id);
    idx.remove(catalog[1400].id);
    idx.upsert(catalog[302].id, catalog[1].vectors, catalog[302].attrs);
    idx.upsert(catalog[1401].id, catalog[3].vectors, catalog[1401].attrs);
    idx.upsert("added", catalog[2].vectors, catalog[2].attrs);
    const started = performance.now();
    await idx.whenCompacted();
    const tookMs = performance.now() - started;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(longestGap).toBeLessThan(Math.max(60, tookMs / 3));

    const s = idx.stats();
    expect(s.size).toBe(1500 - 301 - 2 + 1);
    expect(s.deleted).toBeLessThanOrEqual(4); // at most the copies made stale meanwhile
    for (const gone of [catalog[301], catalog[1400]]) {
      expect(idx.has(gone.id)).toBe(false);
      expect(idx.searchByVectors(gone.vectors, { k: 5 }).some((h) => h.id === gone.id)).toBe(false);
    }
    // 302 and 1401 now carry the vectors of products 1 and 3 (both removed), "added" product 2's.
    expect(idx.searchByVectors(catalog[1].vectors, { k: 1 })[0].id).toBe(catalog[302].id);
    expect(idx.searchByVectors(catalog[3].vectors, { k: 1 })[0].id).toBe(catalog[1401].id);
    expect(idx.searchByVectors(catalog[2].vectors, { k: 1 })[0].id).toBe("added");
    // Every other live product is still found as its own nearest neighbour.
    for (let i = 600; i < 1400; i += 37) expect(idx.searchByVectors(catalog[i].vectors, { k: 1 })[0].id).toBe(catalog[i].id);
  }, 60_000);
});
