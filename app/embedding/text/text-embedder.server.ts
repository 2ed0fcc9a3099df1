/**
 * Text embedders: texts -> L2-normalised vectors.
 *
 *  - hashed (default, no download): the built-in hashed n-gram vector of text-vector.ts, each
 *    text treated as a title;
 *  - ONNX transformer towers from the registry (TEXT_MODELS): all-MiniLM-L6-v2 (BERT WordPiece,
 *    mean pooling over the attended tokens of last_hidden_state) and CLIP ViT-B/32's text tower
 *    (CLIP BPE, text_embeds already pooled and projected into the image space).
 *
 * Products (`embedProducts`): the hashed embedder keeps text-vector.ts' per-field weights (exactly
 * the vectors stored before text models existed); a model embeds one string per product
 * (product-text.ts).
 *
 * The ONNX embedder checks that the session declares exactly the registry's int64 inputs
 * (input_ids, and for MiniLM attention_mask and token_type_ids) and its output, feeds them,
 * reads the output by name, checks its shape and runs batches one at a time (a session
 * already uses every core).
 */
import * as ort from "onnxruntime-node";
import { BertTokenizer, parseVocabTxt } from "./bert-tokenizer";
import { ClipTokenizer, clipVocabFromTokenizerJson } from "./clip-tokenizer";
import { sessionOptions } from "../models/onnx-session.server";
import { readVerifiedFiles } from "../models/model-files.server";
import type { TextModelSpec } from "../models/model-registry";
import { productText } from "./product-text";
import { TEXT_DIM, textVector, type TextFields } from "./text-vector";
import type { TokenBatch } from "./token-batch";
import { l2normalize } from "../vector-codec";
import { HASHED_TEXT_MODEL_ID } from "../vector-versions";

export interface TextEmbedder {
  readonly modelId: string;
  readonly dim: number;
  /** One L2-normalised vector per text, in order. */
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** One L2-normalised vector per product's text fields, in order (the catalog's text channel). */
  embedProducts(products: TextFields[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface TextTokenizer {
  encodeBatch(texts: string[]): TokenBatch;
}

/** A model file that is missing, corrupt or not the shape the registry says. One line, for a person. */
export class TextModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TextModelError";
  }
}

export { HASHED_TEXT_MODEL_ID };
/** Texts per session.run. */
export const TEXT_MAX_BATCH = 32;

export function createHashedTextEmbedder(): TextEmbedder {
  return {
    modelId: HASHED_TEXT_MODEL_ID,
    dim: TEXT_DIM,
    embedTexts: async (texts) => texts.map((t) => textVector({ title: t })),
    embedProducts: async (products) => products.map((p) => textVector(p)),
    close: async () => {},
  };
}

/** The registry's tokenizer for `spec`, built from its data file's bytes. */
export function tokenizerFor(spec: TextModelSpec, tokenizerFile: Uint8Array): TextTokenizer {
  const text = Buffer.from(tokenizerFile).toString("utf8");
  try {
    if (spec.tokenizer === "clip-bpe") return new ClipTokenizer(clipVocabFromTokenizerJson(JSON.parse(text)), spec.maxLength);
    return new BertTokenizer(parseVocabTxt(text), spec.maxLength);
  } catch (e) {
    throw new TextModelError(`${spec.tokenizerFile.fileName}: unusable tokenizer data (${(e as Error).message})`);
  }
}

/**
 * An ONNX text embedder from model bytes (or a path) and a tokenizer, without integrity checks
 * (see loadTextEmbedder for the verified path).
 */
export async function openTextEmbedder(
  spec: TextModelSpec,
  model: Uint8Array | string,
  tokenizer: TextTokenizer,
  opts: { intraOpThreads?: number; maxBatch?: number } = {},
): Promise<TextEmbedder> {
  let session: ort.InferenceSession;
  try {
    session =
      typeof model === "string"
        ? await ort.InferenceSession.create(model, sessionOptions(opts.intraOpThreads))
        : await ort.InferenceSession.create(model, sessionOptions(opts.intraOpThreads));
  } catch (e) {
    throw new TextModelError(`${spec.fileName}: not a loadable ONNX model (${(e as Error).message.split("\n")[0]})`);
  }
  const want = [...spec.inputNames].sort().join(", ");
  if ([...session.inputNames].sort().join(", ") !== want || !session.outputNames.includes(spec.outputName)) {
    await session.release();
    throw new TextModelError(
      `${spec.fileName}: inputs [${session.inputNames.join(", ")}] / outputs [${session.outputNames.join(", ")}] ` +
        `do not match ${spec.id} (inputs [${want}], output ${spec.outputName})`,
    );
  }
  return new OnnxTextEmbedder(spec, session, tokenizer, opts.maxBatch ?? TEXT_MAX_BATCH);
}

/** Reads the model and tokenizer files from `modelsDir`, verifies their SHA-256 pins, opens the embedder. */
export async function loadTextEmbedder(
  modelsDir: string,
  spec: TextModelSpec,
  opts: { intraOpThreads?: number } = {},
): Promise<TextEmbedder> {
  const files = await readVerifiedFiles(modelsDir, [spec, spec.tokenizerFile]);
  if (!files.ok) throw new TextModelError(files.message);
  const [model, tok] = files.bytes;
  return openTextEmbedder(spec, model, tokenizerFor(spec, tok), opts);
}

class OnnxTextEmbedder implements TextEmbedder {
  readonly modelId: string;
  readonly dim: number;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly spec: TextModelSpec,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly maxBatch: number,
  ) {
    this.modelId = spec.id;
    this.dim = spec.dim;
  }

  embedTexts(texts: string[]): Promise<Float32Array[]> {
    const run = this.chain.then(async () => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += this.maxBatch) out.push(...(await this.runBatch(texts.slice(i, i + this.maxBatch))));
      return out;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  embedProducts(products: TextFields[]): Promise<Float32Array[]> {
    return this.embedTexts(products.map(productText));
  }

  private async runBatch(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const b = this.tokenizer.encodeBatch(texts);
    const dims = [b.batch, b.seqLen];
    const byName: Record<string, BigInt64Array> = {
      input_ids: b.inputIds,
      attention_mask: b.attentionMask,
      token_type_ids: b.tokenTypeIds,
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) feeds[name] = new ort.Tensor("int64", byName[name], dims);
    const out = await this.session.run(feeds, [this.spec.outputName]);
    const t = out[this.spec.outputName];
    try {
      const data = t.data as Float32Array;
      const dim = this.dim;
      if (this.spec.pooling === "none") {
        if (t.dims.length !== 2 || t.dims[0] !== b.batch || t.dims[1] !== dim) throw this.shapeError(t.dims, `[${b.batch}, ${dim}]`);
        return Array.from({ length: b.batch }, (_, i) => l2normalize(data.subarray(i * dim, (i + 1) * dim)));
      }
      if (t.dims.length !== 3 || t.dims[0] !== b.batch || t.dims[1] !== b.seqLen || t.dims[2] !== dim) {
        throw this.shapeError(t.dims, `[${b.batch}, ${b.seqLen}, ${dim}]`);
      }
      return Array.from({ length: b.batch }, (_, i) => meanPool(data, b.attentionMask, i, b.seqLen, dim));
    } finally {
      t.dispose?.();
    }
  }

  private shapeError(got: readonly number[], want: string): TextModelError {
    return new TextModelError(`${this.spec.id}: output ${this.spec.outputName} has shape [${got.join(", ")}], expected ${want}`);
  }

  async close(): Promise<void> {
    await this.chain;
    await this.session.release();
  }
}

/** Mean of row `i`'s token vectors where the attention mask is 1, L2-normalised. */
export function meanPool(hidden: Float32Array, mask: BigInt64Array, i: number, seqLen: number, dim: number): Float32Array {
  const acc = new Float64Array(dim);
  let n = 0;
  for (let t = 0; t < seqLen; t++) {
    if (mask[i * seqLen + t] === 0n) continue;
    n++;
    const off = (i * seqLen + t) * dim;
    for (let d = 0; d < dim; d++) acc[d] += hidden[off + d];
  }
  if (n > 0) for (let d = 0; d < dim; d++) acc[d] /= n;
  return l2normalize(acc);
}
