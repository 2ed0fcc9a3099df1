import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { prepareFromRgb } from "./image-preprocess.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../models/model-registry";

const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);

/** Reference: sharp's "contain" on a white 224x224 canvas, then (v / 255 - mean) / std per value. */
async function reference(rgb: Uint8Array, width: number, height: number): Promise<Float32Array> {
  const fitted = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize(224, 224, { fit: "contain", background: { r: 255, g: 255, b: 255, alpha: 1 } })
    .removeAlpha()
    .raw()
    .toBuffer();
  const plane = 224 * 224;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (fitted[p * 3 + c] / 255 - spec.mean[c]) / spec.std[c];
  }
  return out;
}

describe("prepareFromRgb: fit and normalisation (no trim: busy border)", () => {
  for (const [w, h] of [[300, 451], [451, 300], [333, 334], [100, 37], [224, 224], [50, 50]]) {
    it(`is byte for byte sharp's contain-on-white, normalised (${w}x${h})`, async () => {
      const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 2654435761) >>> 24);
      const p = await prepareFromRgb(rgb, w, h, spec);
      expect(Array.from(p.tensor)).toEqual(Array.from(await reference(rgb, w, h)));
    });
  }
});
