import { describe, expect, it } from "vitest";
import { colorSignature } from "./color-signature.server";
import { analysePhoto } from "./image-analysis";
import { estimateBorderBackground, foregroundBox } from "./image-background";

/** A product (noisy rectangle) on a near-white backdrop, or on noise when `busy`. */
function photo(w: number, h: number, busy = false, seed = 3): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x > w * 0.35 && x < w * 0.8 && y > h * 0.2 && y < h * 0.7;
      const i = (y * w + x) * 3;
      const c = inside ? [180, 40 + 40 * (x / w), 60] : busy ? [rnd() * 255, rnd() * 255, rnd() * 255] : [246, 246, 244];
      for (let k = 0; k < 3; k++) px[i + k] = Math.max(0, Math.min(255, Math.round(c[k] + (rnd() - 0.5) * 10)));
    }
  }
  return px;
}

/** The median by sorting, as estimateBorderBackground computed it before (reference). */
function sortedMedian(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

describe("analysePhoto", () => {
  for (const [w, h, busy] of [[384, 310, false], [160, 200, false], [97, 333, false], [200, 150, true]] as const) {
    it(`gives what foregroundBox and colorSignature give (${w}x${h}${busy ? ", busy" : ""})`, () => {
      const rgb = photo(w, h, busy);
      const a = analysePhoto(rgb, w, h);
      expect(a.box).toEqual(foregroundBox(rgb, w, h));
      expect(Array.from(a.color)).toEqual(Array.from(colorSignature(rgb, w, h)));
      expect(a.background).toEqual(estimateBorderBackground(rgb, w, h));
      if (busy) expect(a.box).toBeNull();
      else expect(a.box).not.toBeNull();
    });
  }
});

describe("estimateBorderBackground", () => {
  it("takes the same median as sorting the border values", () => {
    const w = 120, h = 90;
    const rgb = photo(w, h, true, 11);
    // The border ring of a 120x90 image (ring 2, step 1), as the function samples it.
    const idx: number[] = [];
    for (let y = 0; y < h; y++) {
      if (y < 2 || y >= h - 2) for (let x = 0; x < w; x++) idx.push((y * w + x) * 3);
      else for (let x = 0; x < 2; x++) idx.push((y * w + x) * 3, (y * w + (w - 1 - x)) * 3);
    }
    const expected = [0, 1, 2].map((c) => sortedMedian(idx.map((i) => rgb[i + c])));
    expect(estimateBorderBackground(rgb, w, h).rgb).toEqual(expected);
  });
});
