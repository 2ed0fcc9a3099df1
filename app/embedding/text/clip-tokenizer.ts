/**
 * CLIP's text tokenizer: byte-level BPE with an end-of-word suffix, 77-token context.
 *
 * The pipeline is ours (the same as OpenAI's `SimpleTokenizer` and Hugging Face's
 * CLIPTokenizerFast): HTML entities decoded (twice, as OpenAI does), NFC, every whitespace run
 * -> one space, lower-case; split into letter runs, single digits, punctuation runs and English
 * contractions (whitespace dropped); bytes -> GPT-2's printable byte alphabet; BPE with "</w>"
 * on each word's last symbol. Then `<|startoftext|>` ... `<|endoftext|>`, truncated to 77 tokens
 * (the last one stays `<|endoftext|>`) and padded to 77 with `<|endoftext|>` (HF's pad token;
 * the text tower reads the first end token, so padding after it changes nothing).
 * Only the vocabulary and merges come from the model's `tokenizer.json`; the BPE itself runs in
 * @huggingface/tokenizers. Not replicated: OpenAI's `ftfy.fix_text` mojibake repair.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { decodeHTML } from "entities";
import { packBatch, type TokenBatch } from "./token-batch";

export const CLIP_CONTEXT_LENGTH = 77;
export const CLIP_BOS = "<|startoftext|>";
export const CLIP_EOS = "<|endoftext|>";
const SPLIT_PATTERN = String.raw`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`;

export interface ClipVocab {
  /** token -> id; must contain <|startoftext|> and <|endoftext|>. */
  vocab: Record<string, number>;
  /** BPE merges in rank order, "a b" or ["a", "b"]. */
  merges: (string | [string, string])[];
}

export class TokenizerDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenizerDataError";
  }
}

/**
 * Vocabulary and merges from a Hugging Face CLIP `tokenizer.json` (its pipeline settings are not
 * used). The special tokens are taken from `added_tokens` when the model vocabulary lacks them.
 */
export function clipVocabFromTokenizerJson(json: unknown): ClipVocab {
  const j = json as { model?: { type?: string; vocab?: unknown; merges?: unknown }; added_tokens?: unknown };
  const model = j?.model;
  if (!model || model.type !== "BPE" || !model.vocab || typeof model.vocab !== "object" || !Array.isArray(model.merges)) {
    throw new TokenizerDataError("tokenizer.json is not a BPE tokenizer (model.type/vocab/merges missing)");
  }
  const vocab = { ...(model.vocab as Record<string, number>) };
  for (const t of Array.isArray(j.added_tokens) ? (j.added_tokens as { id?: unknown; content?: unknown }[]) : []) {
    if (typeof t?.content === "string" && typeof t.id === "number" && vocab[t.content] === undefined) vocab[t.content] = t.id;
  }
  return { vocab, merges: model.merges as ClipVocab["merges"] };
}

export class ClipTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly bosId: number;
  readonly eosId: number;

  constructor(
    data: ClipVocab,
    readonly contextLength = CLIP_CONTEXT_LENGTH,
  ) {
    const bos = data.vocab[CLIP_BOS];
    const eos = data.vocab[CLIP_EOS];
    if (bos === undefined || eos === undefined) {
      throw new TokenizerDataError(`CLIP vocabulary lacks ${CLIP_BOS} or ${CLIP_EOS}`);
    }
    if (contextLength < 2) throw new RangeError("contextLength must leave room for the two special tokens");
    this.bosId = bos;
    this.eosId = eos;
    this.tokenizer = new Tokenizer(
      {
        version: "1.0",
        added_tokens: [],
        normalizer: {
          type: "Sequence",
          normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: String.raw`\s+` }, content: " " }, { type: "Lowercase" }],
        },
        pre_tokenizer: {
          type: "Sequence",
          pretokenizers: [
            { type: "Split", pattern: { Regex: SPLIT_PATTERN }, behavior: "Removed", invert: true },
            { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        },
        post_processor: null,
        decoder: null,
        model: {
          type: "BPE",
          dropout: null,
          unk_token: CLIP_EOS,
          continuing_subword_prefix: "",
          end_of_word_suffix: "</w>",
          fuse_unk: false,
          byte_fallback: false,
          vocab: data.vocab,
          merges: data.merges,
        },
      },
      {},
    );
  }

  private clean(text: string): string {
    return decodeHTML(decodeHTML(text)).trim();
  }

  /** BPE tokens of the text, without special tokens or truncation. */
  tokenize(text: string): string[] {
    return this.tokenizer.encode(this.clean(text), { add_special_tokens: false }).tokens;
  }

  /** Ids with <|startoftext|> / <|endoftext|>, truncated to the context length (not padded). */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(this.clean(text), { add_special_tokens: false }).ids;
    return [this.bosId, ...ids.slice(0, this.contextLength - 2), this.eosId];
  }

  /** [batch, 77] ids padded with <|endoftext|>, with the attention mask of the real tokens. */
  encodeBatch(texts: string[]): TokenBatch {
    return packBatch(
      texts.map((t) => this.encode(t)),
      this.contextLength,
      this.eosId,
    );
  }
}
