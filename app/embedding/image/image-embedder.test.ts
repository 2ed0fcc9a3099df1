import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLOR_DIM } from "./color-signature.server";
import { LOCAL_BYTES } from "./local-features";
import { COLOR_FALLBACK_MODEL_ID, createImageEmbedder, type ImageEmbedder } from "./image-embedder.server";
import { prepareImage, type PreparedImage } from "./image-preprocess.server";
import { ensureImageModel } from "../models/model-files.server";
import { CLIP_IMAGE_MODEL_ID, DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../models/model-registry";
import { randomFloats, tinyClipVisionModel } from "../../../test/support/tiny-onnx-models";
import { findLumaDev, findModelMirror, readJsonl, type LumaLabel } from "../../../test/support/embedding";
import { dot, l2normalize } from "../vector-codec";

const mirror = findModelMirror();
const luma = findLumaDev();
const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-embed-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const solidJpeg = (hex: string) =>
  sharp({ create: { width: 200, height: 260, channels: 3, background: "#ffffff" } })
    .composite([{ input: { create: { width: 100, height: 160, channels: 3, background: hex } }, left: 50, top: 50 }])
    .jpeg()
    .toBuffer();

describe("createImageEmbedder without a model file", () => {
  it("returns the colour fallback embedder", async () => {
    const e = await createImageEmbedder({ modelsDir: path.join(tmp, "empty") });
    expect(e.modelId).toBe(COLOR_FALLBACK_MODEL_ID);
    expect(e.dim).toBe(COLOR_DIM);
    const [red, blue, red2] = await Promise.all(["#c81e1e", "#1e3cbe", "#d02828"].map(async (c) => prepareImage(await solidJpeg(c))));
    const [vr, vb, vr2] = await e.embed([red, blue, red2]);
    expect(vr.length).toBe(COLOR_DIM);
    expect(dot(vr, vr2)).toBeGreaterThan(dot(vr, vb) + 0.5);
    await e.close();
  });
});

describe.skipIf(!mirror)("ONNX image embedder (needs the model mirror: MODELS_MIRROR or ../shared/models)", () => {
  let embedder: ImageEmbedder;
  beforeAll(async () => {
    const modelsDir = path.join(tmp, "models");
    const r = await ensureImageModel({ modelsDir, mirrorDir: mirror, allowDownload: false });
    expect(r.status).toBe("ready");
    embedder = await createImageEmbedder({ modelsDir });
  });
  afterAll(async () => embedder?.close());

  it("has the pooled model's id and dim, and returns unit vectors", async () => {
    expect(embedder.modelId).toBe(DEFAULT_IMAGE_MODEL_ID);
    expect(embedder.dim).toBe(1280);
    const [v] = await embedder.embed([await prepareImage(await solidJpeg("#c81e1e"))]);
    expect(v.length).toBe(1280);
    expect(dot(v, v)).toBeCloseTo(1, 4);
  });

  it("coalesces concurrent embed calls into batches and matches single-image results", async () => {
    const colours = ["#c81e1e", "#1e3cbe", "#20a040", "#202020", "#e0c020", "#8040a0"];
    const prepared = await Promise.all(colours.map(async (c) => prepareImage(await solidJpeg(c))));
    const alone: Float32Array[] = [];
    for (const p of prepared) alone.push((await embedder.embed([p]))[0]);
    const before = (embedder as unknown as { batchSizes: number[] }).batchSizes.length;
    const together = await Promise.all(prepared.map((p) => embedder.embed([p])));
    const sizes = (embedder as unknown as { batchSizes: number[] }).batchSizes.slice(before);
    expect(sizes.length).toBeLessThan(prepared.length); // coalesced
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(prepared.length);
    together.forEach(([v], i) => expect(dot(v, alone[i])).toBeGreaterThan(0.999));
  });

  it.skipIf(!luma)("a product's held-back query photo is closer to that product than to other products", async () => {
    const labels = readJsonl<LumaLabel>(path.join(luma!, "labels.jsonl"));
    // A handful of products from different leaf categories.
    const seen = new Set<string>();
    const picked = labels.filter((l) => (seen.has(l.category) ? false : (seen.add(l.category), true))).slice(0, 8);
    expect(picked.length).toBe(8);
    const load = (rel: string): Promise<PreparedImage> => prepareImage(readFileSync(path.join(luma!, rel)));
    const catalog = await embedder.embed(await Promise.all(picked.map((l) => load(l.indexedImages[0]))));
    const queries = await embedder.embed(await Promise.all(picked.map((l) => load(l.queryImage))));
    let top1 = 0;
    picked.forEach((_, i) => {
      const sims = catalog.map((c) => dot(queries[i], c));
      const own = sims[i];
      const others = sims.filter((_, j) => j !== i);
      const meanOther = others.reduce((a, b) => a + b, 0) / others.length;
      expect(own).toBeGreaterThan(meanOther);
      if (others.every((s) => s < own)) top1++;
    });
    expect(top1).toBeGreaterThanOrEqual(7);
  });
});

describe("CLIP image embedder on a tiny CLIP-vision-shaped ONNX model", () => {
  const spec = getModelSpec(CLIP_IMAGE_MODEL_ID);
  const D = spec.dim; // 512
  const W = randomFloats(3 * D, 11);
  const dir = path.join(tmp, "clip");

  /** What the tiny tower computes: per-channel means of the tensor times W, then our L2 norm. */
  function expected(t: Float32Array): Float32Array {
    const plane = 224 * 224;
    const means = [0, 1, 2].map((c) => t.subarray(c * plane, (c + 1) * plane).reduce((a, x) => a + x, 0) / plane);
    const out = new Float64Array(D);
    for (let d = 0; d < D; d++) for (let c = 0; c < 3; c++) out[d] += means[c] * W[c * D + d];
    return l2normalize(out);
  }

  it("loads from <models>/clip-vit-b32/, feeds pixel_values, reads image_embeds (512-d)", async () => {
    mkdirSync(path.join(dir, path.dirname(spec.fileName)), { recursive: true });
    writeFileSync(path.join(dir, spec.fileName), tinyClipVisionModel(D, W));
    const e = await createImageEmbedder({ modelsDir: dir, modelId: CLIP_IMAGE_MODEL_ID, intraOpThreads: 1 });
    try {
      expect(e.modelId).toBe(CLIP_IMAGE_MODEL_ID);
      expect(e.dim).toBe(512);
      expect(e.spec?.fit).toBe("cover-centre");
      const images = await Promise.all(["#c81e1e", "#1e3cbe"].map(async (c) => prepareImage(await solidJpeg(c), { model: e.spec })));
      const [red, blue] = await e.embed(images);
      expect(red.length).toBe(512);
      for (const [v, im] of [[red, images[0]], [blue, images[1]]] as const) {
        const want = expected(im.tensor);
        let worst = 0;
        for (let i = 0; i < D; i++) worst = Math.max(worst, Math.abs(v[i] - want[i]));
        expect(worst).toBeLessThan(1e-4);
      }
      expect(dot(red, blue)).toBeLessThan(0.999);
    } finally {
      await e.close();
    }
  });
});

describe("offMainThread: the session on a worker thread", () => {
  const spec = getModelSpec(CLIP_IMAGE_MODEL_ID);
  const D = spec.dim;
  const dir = path.join(tmp, "clip-thread");

  it("gives the same vectors as the in-process session, batches concurrent calls, and closes", async () => {
    mkdirSync(path.join(dir, path.dirname(spec.fileName)), { recursive: true });
    writeFileSync(path.join(dir, spec.fileName), tinyClipVisionModel(D, randomFloats(3 * D, 5)));
    const inProcess = await createImageEmbedder({ modelsDir: dir, modelId: CLIP_IMAGE_MODEL_ID, intraOpThreads: 1 });
    const threaded = await createImageEmbedder({ modelsDir: dir, modelId: CLIP_IMAGE_MODEL_ID, intraOpThreads: 1, offMainThread: true });
    try {
      const images = await Promise.all(["#c81e1e", "#1e3cbe", "#20a040"].map(async (c) => prepareImage(await solidJpeg(c), { model: threaded.spec })));
      const want = await inProcess.embed(images);
      // Concurrent calls: coalesced into batches on the thread, each answered with its own vector.
      const got = await Promise.all(images.map((im) => threaded.embed([im]).then(([v]) => v)));
      got.forEach((v, i) => {
        expect(v.length).toBe(D);
        expect(dot(v, want[i])).toBeGreaterThan(0.99999);
      });
      // The caller's tensors are not handed away (the batch is a copy that is transferred).
      expect(images[0].tensor.length).toBe(3 * 224 * 224);
    } finally {
      await inProcess.close();
      await threaded.close();
    }
  });

  it.skipIf(!mirror)("the real model on a thread matches the in-process session", async () => {
    const modelsDir = path.join(tmp, "models-thread");
    expect((await ensureImageModel({ modelsDir, mirrorDir: mirror, allowDownload: false })).status).toBe("ready");
    const a = await createImageEmbedder({ modelsDir, intraOpThreads: 1 });
    const b = await createImageEmbedder({ modelsDir, intraOpThreads: 1, offMainThread: true });
    try {
      const images = await Promise.all(["#c81e1e", "#1e3cbe"].map(async (c) => prepareImage(await solidJpeg(c))));
      const [x, y] = [await a.embedWithLocal(images), await b.embedWithLocal(images)];
      x.forEach((e, i) => expect(dot(e.vector, y[i].vector)).toBeGreaterThan(0.99999));
      // The regional descriptors come back from the thread too, identical.
      x.forEach((e, i) => {
        expect(e.local).toHaveLength(LOCAL_BYTES);
        expect(Array.from(y[i].local!)).toEqual(Array.from(e.local!));
      });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
