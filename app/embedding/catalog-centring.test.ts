import { describe, expect, it } from "vitest";
import { catalogMean, centre, meanIsStale, MIN_PRODUCTS_FOR_CENTRING } from "./catalog-centring";
import { dot, l2normalize } from "./vector-codec";

describe("catalog-mean centring", () => {
  it("removes what every product shares, so two different products stop looking alike", () => {
    // Every product = a large shared component (axis 0) + its own kind (axis 1 or 2).
    const make = (kind: number) => l2normalize([3, kind === 1 ? 1 : 0, kind === 2 ? 1 : 0]);
    const products = Array.from({ length: MIN_PRODUCTS_FOR_CENTRING }, (_, i) => make(1 + (i % 2)));
    const { mean, count } = catalogMean(products)!;
    expect(count).toBe(MIN_PRODUCTS_FOR_CENTRING);
    const [a, b] = [make(1), make(2)];
    expect(dot(a, b)).toBeGreaterThan(0.85); // raw: near-identical
    const [ca, cb] = [centre(a, mean), centre(b, mean)];
    expect(dot(ca, cb)).toBeLessThan(0); // centred: different kinds
    expect(dot(ca, centre(make(1), mean))).toBeCloseTo(1, 5);
    expect(Math.hypot(...ca)).toBeCloseTo(1, 5);
  });

  it("needs enough products, and is re-computed when the catalog grew or shrank by more than 25%", () => {
    expect(catalogMean([l2normalize([1, 0])])).toBeNull();
    expect(meanIsStale(100, 124)).toBe(false);
    expect(meanIsStale(100, 126)).toBe(true);
    expect(meanIsStale(100, 74)).toBe(true);
    expect(meanIsStale(0, MIN_PRODUCTS_FOR_CENTRING - 1)).toBe(false);
    expect(meanIsStale(0, MIN_PRODUCTS_FOR_CENTRING)).toBe(true);
  });
});
