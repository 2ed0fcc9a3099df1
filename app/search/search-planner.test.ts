import { describe, expect, it } from "vitest";
import { normalizeAttributes, type ProductAttributes } from "./filters";
import { planSearch } from "./search-planner";

const attrs = (i: number): ProductAttributes => ({
  price: i % 100,
  available: i % 2 === 0,
  productType: i % 10 === 0 ? "Rare" : "Common",
  vendor: "V",
  tags: [],
});


describe("planSearch", () => {
  const n = 10_000;
  const base = {
    liveCount: n,
    labelBound: n,
    idByLabel: Array.from({ length: n }, (_, i) => `p${i}`),
    attrsByLabel: Array.from({ length: n }, (_, i) => normalizeAttributes(attrs(i))),
  };

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
    expect(p.allowed[0]).toBe(1);
    expect(p.allowed[1]).toBe(0);
    const capped = planSearch({ ...base, k: 10, filter: { maxPrice: 29 }, config: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0, maxFilteredEf: 150, filteredEfExponent: 1 } });
    expect(capped).toMatchObject({ kind: "filtered-hnsw", matches: 3_000, ef: 150 });
  });
});
