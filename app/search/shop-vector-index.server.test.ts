import { beforeAll, describe, expect, it } from "vitest";
import { blendedScore } from "./combined-vector";
import { matchesFilter, type ProductFilter } from "./filters";
import { ShopVectorIndex } from "./shop-vector-index.server";
import { syntheticCatalog, syntheticQuery } from "../../scripts/lib/synthetic-catalog";
import { bruteForce, build, dims, dot, recall, weights } from "../../test/support/shop-vector-index";

describe("ShopVectorIndex on 5,000 clustered products", () => {
  const products = syntheticCatalog({ n: 5000, dims, clusters: 40, seed: 7, missingTextFraction: 0.1 });
  const byId = new Map(products.map((p) => [p.id, p]));
  const queries = Array.from({ length: 40 }, (_, i) => syntheticQuery(products[(i * 97) % products.length].vectors, 1000 + i));
  let idx: ShopVectorIndex;
  let forcedHnsw: ShopVectorIndex;

  beforeAll(() => {
    idx = build(products);
    forcedHnsw = build(products, { planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0 } });
  });

  it("blended scores agree exactly with brute force; contributions sum to the score and match each channel to 3 decimals", () => {
    let r = 0;
    for (const q of queries) {
      const hits = idx.searchByVectors(q, { k: 10 });
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        const exact = blendedScore(weights, q, byId.get(h.id)!.vectors);
        expect(h.score).toBeCloseTo(exact, 5);
        expect(h.contributions.image + h.contributions.color + h.contributions.text).toBeCloseTo(h.score, 10);
        const v = byId.get(h.id)!.vectors;
        // The split over channels comes from the int8 copy: explanation-grade, not exact.
        expect(h.contributions.text).toBeCloseTo(v.text && q.text ? weights.text * dot(q.text, v.text) : 0, 3);
      }
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1].score).toBeGreaterThanOrEqual(hits[i].score);
      r += recall(hits, bruteForce(products, q, 10));
    }
    expect(r / queries.length).toBeGreaterThanOrEqual(0.97);
    expect(idx.lastPlan).toBe("hnsw");
  });

  it("a photo query (no text channel) has a zero text contribution", () => {
    const q = { image: queries[0].image, color: queries[0].color };
    const hits = idx.searchByVectors(q, { k: 5 });
    expect(hits).toHaveLength(5);
    for (const h of hits) expect(h.contributions.text).toBe(0);
    expect(hits.map((h) => h.id)).toEqual(bruteForce(products, q, 5).map((e) => e.id));
  });

  it("searchByProduct never returns the product itself", () => {
    for (let i = 0; i < 20; i++) {
      const p = products[i * 11];
      const hits = idx.searchByProduct(p.id, { k: 10 });
      expect(hits).toHaveLength(10);
      expect(hits.some((h) => h.id === p.id)).toBe(false);
      const filtered = idx.searchByProduct(p.id, { k: 10, filter: { tags: ["p10"] } });
      expect(filtered.some((h) => h.id === p.id)).toBe(false);
    }
    expect(idx.searchByProduct("nope", { k: 10 })).toEqual([]);
  });

  const selectivities: [string, ProductFilter][] = [
    ["1%", { tags: ["p1"] }],
    ["10%", { tags: ["p10"] }],
    ["50%", { tags: ["p50"] }],
  ];
  for (const [label, filter] of selectivities) {
    for (const forced of [false, true]) {
      it(`filter at ${label} selectivity (${forced ? "forced filtered HNSW" : "planner"}): min(k, matches) hits, recall ≥ 0.97`, () => {
        const index = forced ? forcedHnsw : idx;
        const matches = products.filter((p) => matchesFilter(p.attrs, filter)).length;
        let r = 0;
        for (const q of queries) {
          const hits = index.searchByVectors(q, { k: 10, filter });
          expect(hits).toHaveLength(Math.min(10, matches));
          for (const h of hits) expect(matchesFilter(byId.get(h.id)!.attrs, filter)).toBe(true);
          r += recall(hits, bruteForce(products, q, 10, filter));
        }
        expect(r / queries.length).toBeGreaterThanOrEqual(0.97);
        if (forced) expect(["filtered-hnsw", "exact-fallback"]).toContain(index.lastPlan);
      });
    }
  }

  it("combined filters: price range, availability, type, vendor, exclude", () => {
    const excludeIds = bruteForce(products, queries[3], 3).map((e) => e.id);
    const filters: ProductFilter[] = [
      { minPrice: 20, maxPrice: 40 },
      { available: false },
      { productTypes: ["bags", "WATCHES"] },
      { vendors: ["vendor 3"], available: true },
      { minPrice: 10, maxPrice: 90, tags: ["p50"], productTypes: ["Shoes"] },
      { excludeIds },
      { minPrice: 99.5 },
      { productTypes: ["None"] },
    ];
    for (const filter of filters) {
      for (const index of [idx, forcedHnsw]) {
        const q = queries[3];
        const exact = bruteForce(products, q, 25, filter);
        const matches = products.filter((p) => matchesFilter(p.attrs, filter, p.id)).length;
        const hits = index.searchByVectors(q, { k: 25, filter });
        expect(hits).toHaveLength(Math.min(25, matches));
        for (const h of hits) expect(matchesFilter(byId.get(h.id)!.attrs, filter, h.id)).toBe(true);
        expect(recall(hits, exact)).toBeGreaterThanOrEqual(0.9);
      }
    }
  });

  it("returns every match when k exceeds the number of matches", () => {
    const few = products.slice(0, 3).map((p) => p.id);
    const keep = new Set(few);
    const filter: ProductFilter = { excludeIds: products.filter((p) => !keep.has(p.id)).map((p) => p.id) };
    const hits = idx.searchByVectors(queries[0], { k: 50, filter });
    expect(hits.map((h) => h.id).sort()).toEqual([...few].sort());
    expect(idx.searchByVectors(queries[0], { k: 0 })).toEqual([]);
    expect(() => idx.searchByVectors(queries[0], { k: -1 })).toThrow(RangeError);
  });

  it("is deterministic and tie-breaks equal scores by id", () => {
    const a = idx.searchByVectors(queries[5], { k: 10, filter: { tags: ["p10"] } });
    const b = idx.searchByVectors(queries[5], { k: 10, filter: { tags: ["p10"] } });
    expect(a).toEqual(b);
    const twin = new ShopVectorIndex({ dims, weights, initialCapacity: 8 });
    const p = products[0];
    for (const id of ["b", "c", "a"]) twin.upsert(id, p.vectors, p.attrs);
    expect(twin.searchByVectors(p.vectors, { k: 3 }).map((h) => h.id)).toEqual(["a", "b", "c"]);
  });
});

describe("ShopVectorIndex mutations", () => {
  const products = syntheticCatalog({ n: 600, dims, clusters: 10, seed: 11 });

  it("upsert replaces vectors and attributes", () => {
    const idx = build(products.slice(0, 200), { initialCapacity: 256 });
    const target = products[0];
    const newVectors = products[300].vectors;
    idx.upsert(target.id, newVectors, { ...target.attrs, price: 999 });
    expect(idx.size).toBe(200);
    expect(idx.attributes(target.id)?.price).toBe(999);
    const hits = idx.searchByVectors(newVectors, { k: 1 });
    expect(hits[0].id).toBe(target.id);
    expect(hits[0].score).toBeCloseTo(1, 5);
    // attribute-only update keeps the graph untouched
    const before = idx.stats().deleted;
    idx.upsert(target.id, newVectors, { ...target.attrs, price: 5 });
    expect(idx.stats().deleted).toBe(before);
    expect(idx.attributes(target.id)?.price).toBe(5);
    expect(() => idx.upsert("bad", { image: new Float32Array(3) }, target.attrs)).toThrow(/dimension 3, expected 48/);
  });

  it("removed products are never returned", () => {
    const idx = build(products.slice(0, 300), { initialCapacity: 2048 });
    const removed = new Set(products.slice(0, 100).map((p) => p.id));
    for (const id of removed) expect(idx.remove(id)).toBe(true);
    expect(idx.remove(products[0].id)).toBe(false);
    expect(idx.has(products[0].id)).toBe(false);
    expect(idx.attributes(products[0].id)).toBeUndefined();
    expect(idx.size).toBe(200);
    for (let i = 0; i < 30; i++) {
      const hits = idx.searchByVectors(products[i].vectors, { k: 20 });
      expect(hits).toHaveLength(20);
      for (const h of hits) expect(removed.has(h.id)).toBe(false);
      const filtered = idx.searchByVectors(products[i].vectors, { k: 20, filter: { available: true } });
      for (const h of filtered) expect(removed.has(h.id)).toBe(false);
    }
    expect(idx.searchByProduct(products[0].id, { k: 5 })).toEqual([]);
  });

  it("grows beyond the initial capacity", () => {
    const idx = build(products, { initialCapacity: 16 });
    expect(idx.size).toBe(600);
    expect(idx.stats().capacity).toBe(1024);
    const hits = idx.searchByVectors(products[599].vectors, { k: 1 });
    expect(hits[0].id).toBe(products[599].id);
  });
});

describe("ShopVectorIndex filtered search after changes", () => {
  const products = syntheticCatalog({ n: 800, dims, clusters: 12, seed: 3 });

  it("a filtered search sees an attribute change, an addition and a removal made after the previous filtered search", () => {
    const idx = build(products.slice(0, 600), { initialCapacity: 1024 });
    const q = products[10].vectors;
    const band = { minPrice: 1_000, maxPrice: 2_000 }; // no synthetic product costs that much
    expect(idx.searchByVectors(q, { k: 5, filter: band })).toEqual([]);
    idx.upsert(products[10].id, products[10].vectors, { ...products[10].attrs, price: 1_500 }); // attributes only
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual([products[10].id]);
    idx.upsert("new", products[11].vectors, { ...products[11].attrs, price: 1_200, tags: ["fresh"] });
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id).sort()).toEqual(["new", products[10].id].sort());
    expect(idx.searchByVectors(q, { k: 5, filter: { tags: ["FRESH"] } }).map((h) => h.id)).toEqual(["new"]);
    idx.remove(products[10].id);
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual(["new"]);
    idx.compact();
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual(["new"]);
  });

  it("returns every match when a filter planned on a sampled estimate matches fewer than k", () => {
    // Forced: every filter is planned on its sample (nothing checked up front), even a rare one.
    const idx = build(products.slice(0, 600), { initialCapacity: 1024, planner: { verifyMaxCandidates: 0, estimateMinSelectivity: 0, exactScanMaxMatches: 0 } });
    const rare = products.slice(0, 600).filter((p) => p.attrs.tags.includes("p1"));
    expect(rare.length).toBeGreaterThan(0);
    expect(rare.length).toBeLessThan(20);
    const hits = idx.searchByVectors(products[0].vectors, { k: 20, filter: { tags: ["p1"] } });
    expect(hits.map((h) => h.id).sort()).toEqual(rare.map((p) => p.id).sort());
    expect(idx.lastPlan).toBe("exact-fallback");
  });
});
