import { describe, expect, it } from "vitest";
import { CLIP_TEXT_MODEL_ID, MINILM_TEXT_MODEL_ID } from "./models/model-registry";
import {
  CURRENT_TEXT_SUFFIX,
  HASHED_TEXT_MODEL_ID,
  currentTextSuffix,
  textKeyIsCurrentFor,
  textModelOfKey,
  textVectorKey,
} from "./vector-versions";

const hash = "0123456789abcdef0123456789abcdef01234567";

describe("text vector keys", () => {
  it("the hashed text vector keeps the key it always had (no re-embedding on upgrade)", () => {
    expect(textVectorKey(hash)).toBe(`${hash}.t2`);
    expect(textVectorKey(hash, HASHED_TEXT_MODEL_ID)).toBe(`${hash}.t2`);
    expect(CURRENT_TEXT_SUFFIX).toBe(".t2");
    expect(currentTextSuffix(HASHED_TEXT_MODEL_ID)).toBe(".t2");
  });

  it("a text model's id is part of the key, so changing TEXT_MODEL makes every key stale", () => {
    const minilm = textVectorKey(hash, MINILM_TEXT_MODEL_ID);
    const clip = textVectorKey(hash, CLIP_TEXT_MODEL_ID);
    expect(minilm).toBe(`${hash}.t2.${MINILM_TEXT_MODEL_ID}`);
    expect(new Set([textVectorKey(hash), minilm, clip]).size).toBe(3);
    // The reconciler's test (endsWith the current suffix) tells every pair apart.
    for (const [key, model] of [[textVectorKey(hash), MINILM_TEXT_MODEL_ID], [minilm, HASHED_TEXT_MODEL_ID], [minilm, CLIP_TEXT_MODEL_ID], [clip, MINILM_TEXT_MODEL_ID]] as const) {
      expect(key.endsWith(currentTextSuffix(model))).toBe(false);
    }
    for (const [key, model] of [[textVectorKey(hash), HASHED_TEXT_MODEL_ID], [minilm, MINILM_TEXT_MODEL_ID], [clip, CLIP_TEXT_MODEL_ID]] as const) {
      expect(key.endsWith(currentTextSuffix(model))).toBe(true);
    }
  });

  it("reads the model back from a key; keys without one (and no key) are the hashed vector", () => {
    expect(textModelOfKey(textVectorKey(hash, MINILM_TEXT_MODEL_ID))).toBe(MINILM_TEXT_MODEL_ID);
    expect(textModelOfKey(textVectorKey(hash))).toBe(HASHED_TEXT_MODEL_ID);
    expect(textModelOfKey(`${hash}.t1`)).toBe(HASHED_TEXT_MODEL_ID);
    expect(textModelOfKey(null)).toBe(HASHED_TEXT_MODEL_ID);
  });

  it("content/version currency ignores which model made the key", () => {
    expect(textKeyIsCurrentFor(textVectorKey(hash), hash)).toBe(true);
    expect(textKeyIsCurrentFor(textVectorKey(hash, CLIP_TEXT_MODEL_ID), hash)).toBe(true);
    expect(textKeyIsCurrentFor(`${hash}.t1`, hash)).toBe(false);
    expect(textKeyIsCurrentFor(textVectorKey("ffff"), hash)).toBe(false);
    expect(textKeyIsCurrentFor(`${hash}.t20`, hash)).toBe(false);
    expect(textKeyIsCurrentFor(null, hash)).toBe(false);
  });
});
