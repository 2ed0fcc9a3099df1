import { describe, expect, it } from "vitest";
import { centreZoom, queryViews } from "./query-views";

const size = 8;
/** Channel c, pixel (x, y) = c*1000 + y*10 + x. */
function ramp(): Float32Array {
  const t = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) t[c * size * size + y * size + x] = c * 1000 + y * 10 + x;
  return t;
}

describe("query views", () => {
  it("zoom 1 is the identity; a centre zoom samples only the central part, keeping its centre", () => {
    expect(centreZoom(ramp(), size, 1)).toEqual(ramp());
    const xOnly = new Float32Array(3 * size * size).map((_, i) => i % size);
    const z = centreZoom(xOnly, size, 0.5);
    // Central 50% spans x in [2, 6): sampled pixel centres lie in [1.75, 5.25].
    for (const v of z) {
      expect(v).toBeGreaterThanOrEqual(1.75);
      expect(v).toBeLessThanOrEqual(5.25);
    }
    // Linear ramp → the mean is preserved by a symmetric centre zoom.
    const meanOf = (t: Float32Array) => t.slice(0, size * size).reduce((a, b) => a + b, 0) / (size * size);
    expect(meanOf(centreZoom(ramp(), size, 0.5))).toBeCloseTo(meanOf(ramp()), 3);
  });

  it("returns the original first, then the zooms, and validates input", () => {
    const t = ramp();
    const views = queryViews(t, size, { zooms: [0.8, 0.6] });
    expect(views).toHaveLength(3);
    expect(views[0]).toBe(t);
    expect(() => queryViews(t, size, { zooms: [0] })).toThrow(RangeError);
    expect(() => queryViews(new Float32Array(5), size, { zooms: [] })).toThrow(RangeError);
  });
});
