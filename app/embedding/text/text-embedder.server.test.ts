import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BertTokenizer, parseVocabTxt } from "./bert-tokenizer";
import { ClipTokenizer } from "./clip-tokenizer";
import { CLIP_TEXT_MODEL_ID, MINILM_TEXT_MODEL_ID, getTextModelSpec } from "../models/model-registry";
import {
  TINY_BERT_VOCAB_TXT,
  randomFloats,
  tinyBertModel,
  tinyClipTextModel,
  tinyClipVocab,
} from "../../../test/support/tiny-onnx-models";
import {
  HASHED_TEXT_MODEL_ID,
  TextModelError,
  createHashedTextEmbedder,
  loadTextEmbedder,
  openTextEmbedder,
  tokenizerFor,
} from "./text-embedder.server";
import { productText } from "./product-text";
import { textVector } from "./text-vector";
import { dot, l2normalize } from "../vector-codec";

const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-text-embedder-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectClose(a: Float32Array, b: Float32Array, tol = 1e-5) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(tol);
}

describe("MiniLM embedder on a tiny BERT-shaped ONNX model", () => {
  const spec = getTextModelSpec(MINILM_TEXT_MODEL_ID);
  const vocab = parseVocabTxt(TINY_BERT_VOCAB_TXT);
  const V = vocab.length;
  const D = spec.dim; // 384, as the real export
  const E = randomFloats(V * D, 1);
  const TT = randomFloats(2 * D, 2);
  const M = randomFloats(D, 3);
  const modelBytes = tinyBertModel(V, D, E, TT, M);
  const tokenizer = new BertTokenizer(vocab, spec.maxLength);

  /** What the pooled sentence vector must be: mean over real tokens of E[id] + TT[0] + M, normalised. */
  function expected(text: string): Float32Array {
    const ids = tokenizer.encode(text);
    const acc = new Float64Array(D);
    for (const id of ids) for (let d = 0; d < D; d++) acc[d] += E[id * D + d] + TT[d] + M[d];
    return l2normalize(acc.map((x) => x / ids.length));
  }

  it("feeds input_ids / attention_mask / token_type_ids and mean-pools last_hidden_state", async () => {
    const emb = await openTextEmbedder(spec, modelBytes, tokenizer);
    try {
      expect(emb.modelId).toBe(MINILM_TEXT_MODEL_ID);
      expect(emb.dim).toBe(384);
      const [v] = await emb.embedTexts(["unaffable"]);
      expect(v.length).toBe(384);
      expectClose(v, expected("unaffable"));
      expect(dot(v, v)).toBeCloseTo(1, 5);
    } finally {
      await emb.close();
    }
  });

  it("padding changes nothing: a short text embeds the same alone and beside a long one", async () => {
    const emb = await openTextEmbedder(spec, modelBytes, tokenizer);
    try {
      const [alone] = await emb.embedTexts(["low"]);
      const [padded, long] = await emb.embedTexts(["low", "unwanted running, hello lowest cafe!"]);
      expectClose(padded, alone);
      expectClose(long, expected("unwanted running, hello lowest cafe!"));
      // ...and different texts do give different vectors.
      expect(dot(alone, long)).toBeLessThan(0.99);
    } finally {
      await emb.close();
    }
  });

  it("splits large inputs into batches and keeps the order", async () => {
    const emb = await openTextEmbedder(spec, modelBytes, tokenizer, { maxBatch: 3 });
    try {
      const texts = ["low", "lowest", "hello", "cafe", "unaffable", "running", "want"];
      const vs = await emb.embedTexts(texts);
      expect(vs.length).toBe(7);
      vs.forEach((v, i) => expectClose(v, expected(texts[i])));
      expect(await emb.embedTexts([])).toEqual([]);
    } finally {
      await emb.close();
    }
  });
});

describe("CLIP text embedder on a tiny CLIP-shaped ONNX model", () => {
  const spec = getTextModelSpec(CLIP_TEXT_MODEL_ID);
  const data = tinyClipVocab();
  const V = Object.keys(data.vocab).length;
  const D = spec.dim; // 512
  const E = randomFloats(V * D, 7);
  const tokenizerJson = Buffer.from(JSON.stringify({ model: { type: "BPE", vocab: data.vocab, merges: data.merges } }));

  it("feeds [N,77] input_ids and reads text_embeds (not last_hidden_state), L2-normalised", async () => {
    const tokenizer = tokenizerFor(spec, tokenizerJson);
    const emb = await openTextEmbedder(spec, tinyClipTextModel(V, D, E), tokenizer);
    try {
      const texts = ["low lower", "LOWEST!"];
      const vs = await emb.embedTexts(texts);
      const tok = new ClipTokenizer(data);
      texts.forEach((t, i) => {
        // The tiny tower averages the rows of all 77 ids (padding included): proves all 77 were fed.
        const b = tok.encodeBatch([t]);
        const acc = new Float64Array(D);
        for (const id of b.inputIds) for (let d = 0; d < D; d++) acc[d] += E[Number(id) * D + d] / 77;
        expectClose(vs[i], l2normalize(acc));
      });
    } finally {
      await emb.close();
    }
  });
});

describe("text model errors are one clear line", () => {
  const spec = getTextModelSpec(MINILM_TEXT_MODEL_ID);
  const tokenizer = new BertTokenizer(parseVocabTxt(TINY_BERT_VOCAB_TXT));

  it("a model whose inputs/outputs do not match the registry is refused", async () => {
    const vocab = parseVocabTxt(TINY_BERT_VOCAB_TXT);
    const clipShaped = tinyClipTextModel(vocab.length, 8, randomFloats(vocab.length * 8, 1));
    await expect(openTextEmbedder(spec, clipShaped, tokenizer)).rejects.toThrow(/do not match all-minilm-l6-v2-q8/);
  });

  it("bytes that are not ONNX are refused without a stack of ORT internals", async () => {
    const err = await openTextEmbedder(spec, Buffer.from("not a model"), tokenizer).catch((e) => e);
    expect(err).toBeInstanceOf(TextModelError);
    expect(err.message).toMatch(/not a loadable ONNX model/);
    expect(err.message).not.toMatch(/\n/);
  });

  it("loadTextEmbedder: not installed, then corrupt (SHA-256 mismatch)", async () => {
    await expect(loadTextEmbedder(path.join(tmp, "empty"), spec)).rejects.toThrow(/model_quantized\.onnx is not installed/);
    const dir = path.join(tmp, "corrupt");
    mkdirSync(path.join(dir, path.dirname(spec.fileName)), { recursive: true });
    writeFileSync(path.join(dir, spec.fileName), "garbage");
    writeFileSync(path.join(dir, spec.tokenizerFile.fileName), TINY_BERT_VOCAB_TXT);
    await expect(loadTextEmbedder(dir, spec)).rejects.toThrow(/SHA-256 mismatch for all-minilm-l6-v2\/model_quantized\.onnx/);
  });

  it("unusable tokenizer data is a TextModelError naming the file", () => {
    const clip = getTextModelSpec(CLIP_TEXT_MODEL_ID);
    expect(() => tokenizerFor(clip, Buffer.from("{}"))).toThrow(/clip-vit-b32\/tokenizer\.json: unusable tokenizer data/);
  });
});

describe("hashed text embedder (the default)", () => {
  it("is the built-in hashed text vector of each text", async () => {
    const emb = createHashedTextEmbedder();
    expect(emb.modelId).toBe(HASHED_TEXT_MODEL_ID);
    const [a, b] = await emb.embedTexts(["Blue denim jacket", "red wool scarf"]);
    expect(Array.from(a)).toEqual(Array.from(textVector({ title: "Blue denim jacket" })));
    expect(dot(a, b)).toBeLessThan(0.5);
  });

  it("embeds a product with the per-field weights: exactly textVector(fields)", async () => {
    const fields = { title: "Aero Tee", productType: "Tees", vendor: "Luma", tags: ["Men", "Tops"], description: "Breathable cotton." };
    const [v] = await createHashedTextEmbedder().embedProducts([fields]);
    expect(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(textVector(fields).buffer))).toBe(true);
  });
});

describe("a model embeds a product as one string", () => {
  it("embedProducts(fields) = embedTexts(productText(fields))", async () => {
    const spec = getTextModelSpec(CLIP_TEXT_MODEL_ID);
    const data = tinyClipVocab();
    const V = Object.keys(data.vocab).length;
    const E = randomFloats(V * spec.dim, 3);
    const tokenizerJson = Buffer.from(JSON.stringify({ model: { type: "BPE", vocab: data.vocab, merges: data.merges } }));
    const emb = await openTextEmbedder(spec, tinyClipTextModel(V, spec.dim, E), tokenizerFor(spec, tokenizerJson));
    try {
      const fields = { title: "Lower", productType: "Low", tags: ["er"] };
      const [p] = await emb.embedProducts([fields]);
      const [t] = await emb.embedTexts([productText(fields)]);
      expect(Array.from(p)).toEqual(Array.from(t));
    } finally {
      await emb.close();
    }
  });
});
