import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder } from "./configured-embedders.server.js";
import { COLOR_FALLBACK_MODEL_ID } from "./image-embedder.server.js";
import { CLIP_IMAGE_MODEL_ID, getModelSpec } from "./model-registry.js";
import { HASHED_TEXT_MODEL_ID } from "./text-embedder.server.js";

const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-configured-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const empty = path.join(tmp, "empty");

describe("configured embedders", () => {
  it("defaults: hashed text, the default image model (colour fallback when even that is absent), no warning", async () => {
    const t = await createConfiguredTextEmbedder("hashed", { modelsDir: empty });
    expect(t.embedder.modelId).toBe(HASHED_TEXT_MODEL_ID);
    expect(t.warning).toBeUndefined();
    const i = await createConfiguredImageEmbedder("mobilenetv2", { modelsDir: empty });
    expect(i.embedder.modelId).toBe(COLOR_FALLBACK_MODEL_ID);
    expect(i.warning).toBeUndefined();
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
