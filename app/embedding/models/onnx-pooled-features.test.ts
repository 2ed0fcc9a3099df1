import { readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sessionOptions } from "./onnx-session.server";
import { prepareImage } from "../image/image-preprocess.server";
import { DEFAULT_IMAGE_MODEL_ID, MODELS, SOURCE_IMAGE_MODEL_ID } from "./model-registry";
import { LOCAL_CHANNELS, LOCAL_GRID, LUMA, ModelEditError, POOLED_DIM, deriveEmbeddingModel, luminanceConv } from "./onnx-pooled-features.server";
import { sha256Hex } from "./model-files.server";
import { findModelMirror } from "../../../test/support/embedding";

const mirror = findModelMirror();
const src = MODELS[SOURCE_IMAGE_MODEL_ID];
const spec = MODELS[DEFAULT_IMAGE_MODEL_ID];
const PLANE = 3 * 224 * 224;

async function productPhoto(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 300, channels: 3, background: "#ffffff" } })
    .composite([{ input: await sharp({ create: { width: 120, height: 200, channels: 3, background: colour } }).png().toBuffer(), left: 90, top: 50 }])
    .jpeg()
    .toBuffer();
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};

describe("luminanceConv", () => {
  it("maps a normalised RGB pixel to the normalised grey pixel of the same luma", () => {
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const { weights, bias } = luminanceConv(mean, std);
    const rgb = [0.9, 0.2, 0.4];
    const x = rgb.map((v, c) => (v - mean[c]) / std[c]);
    const y = LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2];
    for (let c = 0; c < 3; c++) {
      const out = weights[c * 3] * x[0] + weights[c * 3 + 1] * x[1] + weights[c * 3 + 2] * x[2] + bias[c];
      expect(out).toBeCloseTo((y - mean[c]) / std[c], 6);
    }
  });
});

describe.skipIf(!mirror)(
  `deriveEmbeddingModel (needs ${src.fileName}: set MODELS_MIRROR or provide ../shared/models)`,
  () => {
    const source = mirror ? readFileSync(path.join(mirror, src.fileName)) : Buffer.alloc(0);
    const derive = () => deriveEmbeddingModel(source, { mean: spec.mean, std: spec.std });

    it("derives a model with a float32 [batch,1280] output that runs on a real image", async () => {
      expect(sha256Hex(source)).toBe(src.sha256);
      const derived = derive();
      // Deterministic: matches the registry's recorded hash and size.
      expect(sha256Hex(derived)).toBe(spec.sha256);
      expect(derived.length).toBe(spec.sizeBytes);

      const session = await ort.InferenceSession.create(derived, sessionOptions(2));
      try {
        expect(session.inputNames).toEqual([spec.inputName]);
        // Original logits output is dropped by design; the regional descriptors come second.
        expect(session.outputNames).toEqual([spec.outputName, spec.localOutputName]);
        const red = await prepareImage(await productPhoto("#c02020"));
        const batch = new Float32Array(3 * PLANE);
        batch.set(red.tensor, 0);
        batch.set(new Float32Array(PLANE).map((_, i) => Math.sin(i) * 1.5), PLANE);
        batch.set(red.tensor, 2 * PLANE);
        const out = await session.run({ input: new ort.Tensor("float32", batch, [3, 3, 224, 224]) });
        const t = out[spec.outputName];
        expect(t.type).toBe("float32");
        expect(t.dims).toEqual([3, POOLED_DIM]);
        const d = t.data as Float32Array;
        expect(d.every(Number.isFinite)).toBe(true);
        // Post-ReLU features: the sum of two unit vectors of non-negative entries.
        expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
        // Each image's colour and luminance views stay its own (the batch is split back correctly):
        // the same image at positions 0 and 2 gives identical vectors, the noise image another.
        expect(Array.from(d.subarray(0, POOLED_DIM))).toEqual(Array.from(d.subarray(2 * POOLED_DIM)));
        expect(cosine(d.subarray(0, POOLED_DIM), d.subarray(POOLED_DIM, 2 * POOLED_DIM))).toBeLessThan(0.95);
        // Regional descriptors of the colour view: 96 channels × 7×7, non-negative, per image.
        const local = out[spec.localOutputName!];
        expect(local.dims).toEqual([3, LOCAL_CHANNELS * LOCAL_GRID * LOCAL_GRID]);
        const l = local.data as Float32Array;
        const per = LOCAL_CHANNELS * LOCAL_GRID * LOCAL_GRID;
        expect(Math.min(...l)).toBeGreaterThanOrEqual(0);
        expect(Array.from(l.subarray(0, per))).toEqual(Array.from(l.subarray(2 * per)));
        expect(Array.from(l.subarray(0, per))).not.toEqual(Array.from(l.subarray(per, 2 * per)));
      } finally {
        await session.release();
      }
    });

    it("adds the unit vectors of the photo and of its luminance view", async () => {
      const session = await ort.InferenceSession.create(derive());
      try {
        // A coloured product, and the same photo converted to grey in JS: the grey photo's two views are
        // the same image, so its embedding is 2·u_grey; the coloured photo's is u_colour + u_grey, with the
        // same u_grey. Without the luminance branch the norms would be 1, and the difference would not be a
        // unit vector.
        const colour = (await prepareImage(await productPhoto("#c02020"))).tensor;
        const { weights, bias } = luminanceConv(spec.mean, spec.std);
        const grey = new Float32Array(PLANE);
        const P = PLANE / 3;
        for (let p = 0; p < P; p++) {
          for (let c = 0; c < 3; c++) {
            grey[c * P + p] = weights[c * 3] * colour[p] + weights[c * 3 + 1] * colour[P + p] + weights[c * 3 + 2] * colour[2 * P + p] + bias[c];
          }
        }
        const input = new Float32Array(2 * PLANE);
        input.set(colour, 0);
        input.set(grey, PLANE);
        const out = (await session.run({ input: new ort.Tensor("float32", input, [2, 3, 224, 224]) }))[spec.outputName].data as Float32Array;
        const eColour = out.subarray(0, POOLED_DIM);
        const eGrey = out.subarray(POOLED_DIM);
        const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));
        expect(norm(eGrey)).toBeCloseTo(2, 2);
        const uColour = Float32Array.from(eColour, (x, i) => x - eGrey[i] / 2);
        expect(norm(uColour)).toBeCloseTo(1, 1);
        // And the colour view differs from the luminance view (a red product is not grey).
        expect(cosine(uColour, eGrey)).toBeLessThan(0.99);
      } finally {
        await session.release();
      }
    });
  },
);

describe("deriveEmbeddingModel: bad input", () => {
  it("throws ModelEditError for bytes that are not an ONNX model", () => {
    expect(() => deriveEmbeddingModel(Buffer.from("definitely not a protobuf model \xff\xff\xff"), { mean: spec.mean, std: spec.std })).toThrow(ModelEditError);
  });
});
