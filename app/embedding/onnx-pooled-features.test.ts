import { readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sessionOptions } from "./image-embedder.server.js";
import { prepareImage } from "./image-preprocess.server.js";
import { DEFAULT_IMAGE_MODEL_ID, MODELS, SOURCE_IMAGE_MODEL_ID } from "./model-registry.js";
import { ModelEditError, POOLED_DIM, exposePooledFeatures } from "./onnx-pooled-features.server.js";
import { sha256Hex } from "./model-files.server.js";
import { findModelMirror } from "./testing.server.js";

const mirror = findModelMirror();
const src = MODELS[SOURCE_IMAGE_MODEL_ID];
const derivedSpec = MODELS[DEFAULT_IMAGE_MODEL_ID];

describe.skipIf(!mirror)(
  `exposePooledFeatures (needs ${src.fileName}: set MODELS_MIRROR or provide ../shared/models)`,
  () => {
    const source = mirror ? readFileSync(path.join(mirror, src.fileName)) : Buffer.alloc(0);

    it("derives a model with a float32 [batch,1280] output that runs on a real image", async () => {
      expect(sha256Hex(source)).toBe(src.sha256);
      const derived = exposePooledFeatures(source);
      // Deterministic: matches the registry's recorded hash and size.
      expect(sha256Hex(derived)).toBe(derivedSpec.sha256);
      expect(derived.length).toBe(derivedSpec.sizeBytes);

      const session = await ort.InferenceSession.create(derived, sessionOptions(2));
      try {
        expect(session.inputNames).toEqual([derivedSpec.inputName]);
        // Original logits output is dropped by design.
        expect(session.outputNames).toEqual([derivedSpec.outputName]);
        const img = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#ffffff" } })
          .composite([{ input: await sharp({ create: { width: 120, height: 200, channels: 3, background: "#c02020" } }).png().toBuffer(), left: 90, top: 50 }])
          .jpeg()
          .toBuffer();
        const p = await prepareImage(img);
        const batch = new Float32Array(2 * p.tensor.length);
        batch.set(p.tensor, 0);
        batch.set(p.tensor, p.tensor.length);
        const out = await session.run({ input: new ort.Tensor("float32", batch, [2, 3, 224, 224]) });
        const t = out[derivedSpec.outputName];
        expect(t.type).toBe("float32");
        expect(t.dims).toEqual([2, POOLED_DIM]);
        const d = t.data as Float32Array;
        expect(d.every(Number.isFinite)).toBe(true);
        expect(d.some((x) => x > 0)).toBe(true);
        // Same image twice in a batch -> identical features.
        expect(Array.from(d.subarray(0, POOLED_DIM))).toEqual(Array.from(d.subarray(POOLED_DIM)));
      } finally {
        await session.release();
      }
    });

    it("pooled features equal the dequantised average pool (post-ReLU features are >= 0)", async () => {
      const session = await ort.InferenceSession.create(exposePooledFeatures(source));
      const x = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i) * 1.5);
      const out = await session.run({ input: new ort.Tensor("float32", x, [1, 3, 224, 224]) });
      const d = out.pooled.data as Float32Array;
      expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
      await session.release();
    });
  },
);

describe("exposePooledFeatures: bad input", () => {
  it("throws ModelEditError for bytes that are not an ONNX model", () => {
    expect(() => exposePooledFeatures(Buffer.from("definitely not a protobuf model \xff\xff\xff"))).toThrow(ModelEditError);
  });
});
