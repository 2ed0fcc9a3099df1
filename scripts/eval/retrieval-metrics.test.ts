import { describe, expect, it } from "vitest";
import { labelIndex, mean, precisionDepth, scorePhotoQuery, scoreSimilarQuery, summarisePhoto } from "./retrieval-metrics";

const labels = [
  { productId: "a1", category: "Men/Tops/Tees", topCategory: "Men" },
  { productId: "a2", category: "Men/Tops/Tees", topCategory: "Men" },
  { productId: "a3", category: "Men/Tops/Tees", topCategory: "Men" },
  { productId: "b1", category: "Men/Bottoms/Pants", topCategory: "Men" },
  { productId: "c1", category: "Gear/Bags", topCategory: "Gear" },
  { productId: "c2", category: "Gear/Bags", topCategory: "Gear" },
];
const idx = labelIndex(labels);

describe("retrieval metrics (datasets README definitions)", () => {
  it("R is min(10, other products in the leaf category)", () => {
    expect(precisionDepth(idx, "a1")).toBe(2);
    expect(precisionDepth(idx, "b1")).toBe(0);
    expect(precisionDepth(idx, "c2")).toBe(1);
  });

  it("photo: recall@1/@10 of the pictured product, leaf precision@R among the other products", () => {
    const r = scorePhotoQuery(idx, "a1", ["a2", "a1", "c1", "a3"]);
    expect(r).toEqual({ recallAt1: 0, recallAt10: 1, leafPrecisionAtR: 0.5 }); // others: a2, c1 → 1 of R=2
    expect(scorePhotoQuery(idx, "a1", ["a1", "a2", "a3"]).leafPrecisionAtR).toBe(1);
    expect(scorePhotoQuery(idx, "b1", ["c1"]).leafPrecisionAtR).toBeNull(); // no other product in the leaf
    const ranked = ["c1", "c2", "b1", "a2", "a3", "x", "y", "z", "w", "v", "a1"];
    expect(scorePhotoQuery(idx, "a1", ranked).recallAt10).toBe(0); // 11th place
  });

  it("similar: leaf precision@R and top-category precision@10 (unknown ids are misses)", () => {
    const r = scoreSimilarQuery(idx, "c1", ["c2", "a1", "unknown"]);
    expect(r.leafPrecisionAtR).toBe(1);
    expect(r.topPrecisionAt10).toBeCloseTo(0.1); // 1 of 10: missing results count against it
  });

  it("summaries average non-null values, rounded to 3 decimals", () => {
    expect(mean([1, 0, null, 0])).toBe(0.333);
    expect(summarisePhoto([{ recallAt1: 1, recallAt10: 1, leafPrecisionAtR: null }, { recallAt1: 0, recallAt10: 1, leafPrecisionAtR: 0.5 }])).toEqual({
      queries: 2, recallAt1: 0.5, recallAt10: 1, leafPrecisionAtR: 0.5,
    });
  });
});
