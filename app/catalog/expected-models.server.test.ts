import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec, getTextModelSpec, MINILM_TEXT_MODEL_ID } from "../embedding/models/model-registry";
import { expectedVectorModels } from "./expected-models.server";

const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-expected-models-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("expectedVectorModels", () => {
  it("judges by no image model on the colour fallback (no model file), by the model once its file is there", () => {
    const cfg = { modelsDir: dir, imageModel: "mobilenetv2" as const, textModel: "hashed" as const };
    expect(expectedVectorModels(cfg)).toEqual({ imageModelId: undefined, textModelId: undefined });
    writeFileSync(path.join(dir, getModelSpec(DEFAULT_IMAGE_MODEL_ID).fileName), "");
    expect(expectedVectorModels(cfg)).toEqual({ imageModelId: DEFAULT_IMAGE_MODEL_ID, textModelId: undefined });
  });

  it("takes the hashed text vector when the configured text model's file is missing (the workers' fallback)", () => {
    const cfg = { modelsDir: dir, imageModel: "mobilenetv2" as const, textModel: "minilm" as const };
    expect(expectedVectorModels(cfg).textModelId).toBeUndefined();
    const file = path.join(dir, getTextModelSpec(MINILM_TEXT_MODEL_ID).fileName);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "");
    expect(expectedVectorModels(cfg).textModelId).toBe(MINILM_TEXT_MODEL_ID);
  });
});
