import { describe, expect, it } from "vitest";
import { combine, makeLayout } from "./combined-vector";
import { QuantizedStore } from "./quantized-store";
import { syntheticCatalog } from "../../scripts/lib/synthetic-catalog";

describe("QuantizedStore", () => {
  const dims = { image: 64, color: 8, text: 32 };
  const layout = makeLayout(dims, { image: 0.6, color: 0.2, text: 0.2 });
  const products = syntheticCatalog({ n: 300, dims, seed: 5, missingTextFraction: 0.2 });
  const combined = products.map((p) => combine(layout, p.vectors));

  it("approximates dot products within its error margin and round-trips through its byte views", async () => {
    const store = new QuantizedStore(layout, 4); // grows on demand
    combined.forEach((v, i) => store.set(i, v));
    expect(store.capacity).toBeGreaterThanOrEqual(300);
    const q = Float32Array.from(combined[0]);
    const rows = Array.from({ length: 300 }, (_, i) => i);
    const margin = store.errorMargin(q, rows);
    for (const r of rows) {
      let exact = 0;
      for (let i = 0; i < layout.total; i++) exact += q[i] * combined[r][i];
      expect(Math.abs(store.approxDot(q, r) - exact)).toBeLessThanOrEqual(margin);
    }
    const top = store.topRows(q, rows, 5);
    expect(top).toHaveLength(5);
    expect(top[0].row).toBe(0);
    for (let i = 1; i < top.length; i++) expect(top[i - 1].approx).toBeGreaterThanOrEqual(top[i].approx);

    // What a snapshot writes (its byte views) read back into a new store's views: same answers.
    const copy = new QuantizedStore(layout, 512);
    const [scales, codes] = store.views(300);
    const [toScales, toCodes] = copy.views(300);
    toScales.set(scales);
    toCodes.set(codes);
    expect(copy.capacity).toBe(512);
    expect(copy.topRows(q, rows, 5)).toEqual(top);
    expect(copy.errorMargin(q, rows)).toBe(margin);
    expect(store.views(120).map((v) => v.length)).toEqual([120 * 3 * 4, 120 * layout.total]);
  });
});
