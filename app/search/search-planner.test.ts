import { describe, expect, it } from "vitest";
import { normalizeAttributes, type ProductAttributes } from "./filters";
import { AttributePostings } from "./attribute-postings";
import { planSearch } from "./search-planner";

const attrs = (i: number): ProductAttributes => ({
  price: i % 100,
  available: i % 2 === 0,
  productType: i % 10 === 0 ? "Rare" : "Common",
  vendor: "V",
  tags: [],
});

/** A catalog of n live products p0…p{n-1}, labels 0…n-1, attributes `attrs(i)`. */
const catalogOf = (n: number) => ({
  liveCount: n,
  labelBound: n,
  idByLabel: Array.from({ length: n }, (_, i) => `p${i}`),
  attrsByLabel: Array.from({ length: n }, (_, i) => normalizeAttributes(attrs(i))),
});

describe("planSearch", () => {
  const base = catalogOf(10_000);

  it("uses plain HNSW without a filter, asking one extra for self-exclusion", () => {
    expect(planSearch({ ...base, k: 10 })).toEqual({ kind: "hnsw", matches: 10_000, ef: 64, kAsk: 10, excludeLabel: undefined });
    const p = planSearch({ ...base, k: 100, excludeLabel: 5, efSearch: 20, filter: {} });
    expect(p).toMatchObject({ kind: "hnsw", matches: 9_999, kAsk: 101, ef: 101 });
  });

  it("grows the unfiltered ef with the catalog: 64 up to 100k, 256 up to 500k, then 512", () => {
    expect(planSearch({ ...base, liveCount: 50_000, k: 10 })).toMatchObject({ kind: "hnsw", ef: 64 });
    expect(planSearch({ ...base, liveCount: 100_000, k: 10 })).toMatchObject({ kind: "hnsw", ef: 64 });
    expect(planSearch({ ...base, liveCount: 100_001, k: 10 })).toMatchObject({ kind: "hnsw", ef: 256 });
    const big = { ...base, liveCount: 300_000 };
    expect(planSearch({ ...big, k: 10 })).toMatchObject({ kind: "hnsw", ef: 256 });
    expect(planSearch({ ...base, liveCount: 500_000, k: 10 })).toMatchObject({ kind: "hnsw", ef: 256 });
    expect(planSearch({ ...base, liveCount: 500_001, k: 10 })).toMatchObject({ kind: "hnsw", ef: 512 });
    expect(planSearch({ ...base, liveCount: 1_000_000, k: 10, excludeLabel: 3 })).toMatchObject({ kind: "hnsw", ef: 513, kAsk: 11 });
    expect(planSearch({ ...big, k: 10, efSearch: 500 })).toMatchObject({ ef: 500 });
    expect(planSearch({ ...big, k: 10, efSearch: 700 })).toMatchObject({ ef: 700 });
    const custom = { unfilteredEfBySize: [{ maxLive: 400_000, ef: 128 }, { maxLive: Infinity, ef: 300 }] };
    expect(planSearch({ ...big, k: 10, config: custom })).toMatchObject({ kind: "hnsw", ef: 128 });
    expect(planSearch({ ...base, liveCount: 400_001, k: 10, config: custom })).toMatchObject({ kind: "hnsw", ef: 300 });
  });

  it("scans exactly when few products match", () => {
    const p = planSearch({ ...base, k: 10, filter: { minPrice: 0, maxPrice: 4 } }); // 5%
    expect(p.kind).toBe("exact");
    expect(p.matches).toBe(500);
    const q = planSearch({ ...base, k: 10, filter: { productTypes: ["rare"] }, excludeLabel: 0 });
    expect(q).toMatchObject({ kind: "exact", matches: 999 });
  });

  it("uses filtered HNSW with ef scaled by 1/selectivity^exponent otherwise (default 1/√selectivity)", () => {
    const p = planSearch({ ...base, k: 10, filter: { available: true } });
    expect(p.kind).toBe("filtered-hnsw");
    if (p.kind !== "filtered-hnsw") return;
    expect(p.matches).toBe(5_000);
    expect(p.ef).toBe(Math.ceil(64 / Math.sqrt(0.5)));
    expect(planSearch({ ...base, k: 10, filter: { available: true }, config: { filteredEfExponent: 1 } })).toMatchObject({ ef: 128 });
    expect(p.estimated).toBe(false);
    expect(p.accept(0)).toBe(true);
    expect(p.accept(1)).toBe(false);
    expect(p.matchingLabels()).toHaveLength(5_000);
    const capped = planSearch({ ...base, k: 10, filter: { maxPrice: 29 }, config: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0, maxFilteredEf: 150, filteredEfExponent: 1 } });
    expect(capped).toMatchObject({ kind: "filtered-hnsw", matches: 3_000, ef: 150 });
  });

  it("takes a filter's candidates from the attribute indexes and gives the same plans as checking every product", () => {
    const postings = new AttributePostings();
    for (const filter of [{ minPrice: 0, maxPrice: 4 }, { productTypes: ["RARE "] }, { available: true }, { maxPrice: 29, available: false }, { excludeIds: ["p3"] }]) {
      const withIndexes = planSearch({ ...base, k: 10, filter, postings, excludeLabel: 0 });
      const without = planSearch({ ...base, k: 10, filter, excludeLabel: 0 });
      expect(withIndexes.kind).toBe(without.kind);
      expect(withIndexes.matches).toBe(without.matches);
      if (withIndexes.kind === "exact" && without.kind === "exact") expect([...withIndexes.labels]).toEqual([...without.labels]);
      if (withIndexes.kind === "filtered-hnsw" && without.kind === "filtered-hnsw") expect([...withIndexes.matchingLabels()]).toEqual([...without.matchingLabels()]);
    }
  });

  it("estimates the selectivity of a filter with many candidates from a sample, and checks every candidate when the sample says few match", () => {
    const n = 100_000;
    const big = { ...catalogOf(n), postings: new AttributePostings() };
    // 50% available: 50,000 candidates from the availability list, filtered HNSW on the sample's estimate.
    const half = planSearch({ ...big, k: 10, filter: { available: true } });
    expect(half).toMatchObject({ kind: "filtered-hnsw", estimated: true });
    expect(half.matches).toBe(50_000);
    // Only an exclusion: every product is a candidate, ~100% match.
    const all = planSearch({ ...big, k: 10, filter: { excludeIds: ["p1"] } });
    expect(all).toMatchObject({ kind: "filtered-hnsw", estimated: true, ef: 64 });
    if (all.kind === "filtered-hnsw") expect(all.matchingLabels()).toHaveLength(n - 1);
    // 10,000 candidates (type "rare"), 8% of the catalog matching (price ≤ 79): under
    // estimateMinSelectivity, so every candidate is checked and the exact rules decide.
    const some = planSearch({ ...big, k: 10, filter: { available: true, maxPrice: 79, productTypes: ["rare"] }, config: { verifyMaxCandidates: 1_000 } });
    expect(some).toMatchObject({ kind: "filtered-hnsw", estimated: false, matches: 8_000 });
    const few = planSearch({ ...big, k: 10, filter: { maxPrice: 29, productTypes: ["rare"] }, config: { verifyMaxCandidates: 1_000 } });
    expect(few).toMatchObject({ kind: "exact", matches: 3_000 });
  });
});
