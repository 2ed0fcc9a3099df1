import { describe, expect, it } from "vitest";
import { combine, makeLayout } from "./combined-vector";
import { QuantizedStore } from "./quantized-store";
import { syntheticCatalog } from "./synthetic-catalog";

describe("QuantizedStore", () => {
  const dims = { image: 64, color: 8, text: 32 };
  const layout = makeLayout(dims, { image: 0.6, color: 0.2, text: 0.2 });
  const products = syntheticCatalog({ n: 300, dims, seed: 5, missingTextFraction: 0.2 });
  const combined = products.map((p) => combine(layout, p.vectors));

  it("approximates dot products within its error margin and round-trips through a buffer", async () => {
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

    const copy = await QuantizedStore.fromBuffer(layout, store.toBuffer(300), 300, 512);
    expect(copy.capacity).toBe(512);
    expect(copy.topRows(q, rows, 5)).toEqual(top);
    await expect(QuantizedStore.fromBuffer(layout, store.toBuffer(300).subarray(1), 300, 512)).rejects.toThrow();
    // The views a snapshot writes (no copy) hold the same bytes.
    expect(Buffer.concat(store.views(300)).equals(store.toBuffer(300))).toBe(true);
    expect(Buffer.concat(store.views(120)).equals(store.toBuffer(120))).toBe(true);
  });

  it("reads back a store bigger than one copy chunk exactly", async () => {
    const big = makeLayout({ image: 1280, color: 52, text: 512 }, { image: 0.6, color: 0.15, text: 0.25 });
    const rows = 3000; // 5.5 MB of codes: two chunks
    const store = new QuantizedStore(big, rows);
    const row = new Float32Array(big.total);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < big.total; i++) row[i] = Math.sin(r * 7.1 + i * 0.37);
      store.set(r, row);
    }
    const copy = await QuantizedStore.fromBuffer(big, store.toBuffer(rows), rows, 4096);
    expect(copy.capacity).toBe(4096);
    expect(Buffer.from(copy.toBuffer(rows)).equals(Buffer.from(store.toBuffer(rows)))).toBe(true);
  });
});
