import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder } from "./configured-embedders.server";
import { COLOR_FALLBACK_MODEL_ID } from "./image/image-embedder.server";
import { prepareImage } from "./image/image-preprocess.server";
import {
  CLIP_IMAGE_MODEL_ID,
  CLIP_TEXT_MODEL_ID,
  MINILM_TEXT_MODEL_ID,
  MODEL_PACKS,
  getModelSpec,
  getTextModelSpec,
  type PinnedFile,
} from "./models/model-registry";
import { HASHED_TEXT_MODEL_ID, tokenizerFor } from "./text/text-embedder.server";
import { dot } from "./vector-codec";

const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-configured-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const empty = path.join(tmp, "empty");

describe("configured embedders", () => {
  it("defaults: hashed text without warning; the default image model, or the colour fallback with one line saying what to run", async () => {
    const t = await createConfiguredTextEmbedder("hashed", { modelsDir: empty });
    expect(t.embedder.modelId).toBe(HASHED_TEXT_MODEL_ID);
    expect(t.warning).toBeUndefined();
    const i = await createConfiguredImageEmbedder("mobilenetv2", { modelsDir: empty });
    expect(i.embedder.modelId).toBe(COLOR_FALLBACK_MODEL_ID);
    expect(i.warning).toMatch(/^image model mobilenetv2-12-int8-gem-luma\.onnx is not in .*: run `npm run setup` .*colour-only fallback meanwhile\.$/);
    expect(i.warning).not.toMatch(/\n/);
  });

  it("TEXT_MODEL=minilm not installed: hashed text, one line saying what to run", async () => {
    const t = await createConfiguredTextEmbedder("minilm", { modelsDir: empty });
    expect(t.embedder.modelId).toBe(HASHED_TEXT_MODEL_ID);
    expect(t.warning).toMatch(/^TEXT_MODEL=minilm unavailable: .*model_quantized\.onnx is not installed; run `npx tsx scripts\/models\.ts install minilm`\. Using the built-in hashed text vector\.$/);
    expect(t.warning).not.toMatch(/\n/);
    const c = await createConfiguredTextEmbedder("clip", { modelsDir: empty });
    expect(c.warning).toMatch(/install clip/);
  });

  it("IMAGE_MODEL=clip with a corrupt file: refused by SHA-256, default image model used, one line", async () => {
    const spec = getModelSpec(CLIP_IMAGE_MODEL_ID);
    const dir = path.join(tmp, "corrupt");
    mkdirSync(path.join(dir, path.dirname(spec.fileName)), { recursive: true });
    writeFileSync(path.join(dir, spec.fileName), "garbage");
    const i = await createConfiguredImageEmbedder("clip", { modelsDir: dir });
    expect(i.embedder.modelId).toBe(COLOR_FALLBACK_MODEL_ID);
    expect(i.warning).toMatch(/^IMAGE_MODEL=clip unavailable: .*SHA-256 mismatch for clip-vit-b32\/vision_model_quantized\.onnx.*install clip`\. Using color-fallback\.$/);
    await i.embedder.close();
  });
});

/**
 * With the real packs (not downloadable on this project's machines, so these skip here): where
 * `scripts/models.ts install clip|minilm` has been run, or the mirror holds the files, check the
 * real files against tokenizations and behaviour published for these models.
 */
function dirWithPack(files: PinnedFile[]): string | undefined {
  const candidates = [process.env.MODELS_DIR, process.env.MODELS_MIRROR, "models", "../shared/models"].filter((d): d is string => !!d);
  return candidates.find((d) => files.every((f) => existsSync(path.join(d, f.fileName))));
}
const clipDir = dirWithPack(MODEL_PACKS.clip.files);
const minilmDir = dirWithPack(MODEL_PACKS.minilm.files);

describe.skipIf(!minilmDir)("real all-MiniLM-L6-v2 (installed pack)", () => {
  it("tokenizes as bert-base-uncased and ranks a paraphrase above an unrelated sentence", async () => {
    const spec = getTextModelSpec(MINILM_TEXT_MODEL_ID);
    const vocab = readFileSync(path.join(minilmDir!, spec.tokenizerFile.fileName));
    expect(tokenizerFor(spec, vocab).encodeBatch(["Hello world"]).inputIds).toEqual(new BigInt64Array([101n, 7592n, 2088n, 102n]));
    const { embedder, warning } = await createConfiguredTextEmbedder("minilm", { modelsDir: minilmDir! });
    expect(warning).toBeUndefined();
    const [a, b, c] = await embedder.embedTexts(["A red cotton summer dress", "Red dress made of cotton", "Stainless steel kitchen knife"]);
    expect(a.length).toBe(384);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.2);
    await embedder.close();
  }, 60_000);
});

describe.skipIf(!clipDir)("real CLIP ViT-B/32 (installed pack)", () => {
  it("tokenizes as OpenAI CLIP and matches colour photos to their captions", async () => {
    const spec = getTextModelSpec(CLIP_TEXT_MODEL_ID);
    const tj = readFileSync(path.join(clipDir!, spec.tokenizerFile.fileName));
    const ids = tokenizerFor(spec, tj).encodeBatch(["a photo of a cat"]).inputIds.subarray(0, 7);
    expect(ids).toEqual(new BigInt64Array([49406n, 320n, 1125n, 539n, 320n, 2368n, 49407n]));
    const text = await createConfiguredTextEmbedder("clip", { modelsDir: clipDir! });
    const image = await createConfiguredImageEmbedder("clip", { modelsDir: clipDir! });
    expect(text.warning ?? image.warning).toBeUndefined();
    const photo = (hex: string) => sharp({ create: { width: 320, height: 320, channels: 3, background: hex } }).jpeg().toBuffer();
    const prepared = await Promise.all(["#d01010", "#1030d0"].map(async (c) => prepareImage(await photo(c), { model: image.embedder.spec })));
    const [red, blue] = await image.embedder.embed(prepared);
    const [tRed, tBlue] = await text.embedder.embedTexts(["a photo of the colour red", "a photo of the colour blue"]);
    expect(dot(red, tRed)).toBeGreaterThan(dot(red, tBlue));
    expect(dot(blue, tBlue)).toBeGreaterThan(dot(blue, tRed));
    await Promise.all([text.embedder.close(), image.embedder.close()]);
  }, 120_000);
});
