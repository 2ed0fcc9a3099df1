/**
 * BERT's uncased WordPiece tokenizer (all-MiniLM-L6-v2 uses bert-base-uncased's vocab.txt).
 *
 * The pipeline is ours (the same as Hugging Face's BertTokenizerFast with do_lower_case):
 * clean text (drop control characters, any whitespace -> space), spaces around CJK ideographs,
 * lower-case and strip accents (NFD, drop combining marks); split on whitespace and around
 * every punctuation character; greedy longest-match WordPiece with "##" continuations (a word
 * with no match, or longer than 100 characters, is [UNK]). Then [CLS] ... [SEP], truncated to
 * `maxLength` (default 256, sentence-transformers' setting for this model), padded with [PAD]
 * to the longest text of the batch; token_type_ids all 0 (single sentences).
 * The vocabulary comes from vocab.txt (one token per line, id = line number); the WordPiece
 * itself runs in @huggingface/tokenizers.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { TokenizerDataError } from "./clip-tokenizer";
import { packBatch, type TokenBatch } from "./token-batch";

export const BERT_DEFAULT_MAX_LENGTH = 256;
const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] as const;

/** vocab.txt -> tokens in id order (a trailing newline does not add a token). */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export class BertTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;

  constructor(
    vocab: string[],
    readonly maxLength = BERT_DEFAULT_MAX_LENGTH,
  ) {
    const map: Record<string, number> = {};
    vocab.forEach((t, i) => {
      if (!(t in map)) map[t] = i;
    });
    for (const s of SPECIALS) if (map[s] === undefined) throw new TokenizerDataError(`BERT vocabulary lacks ${s}`);
    if (maxLength < 2) throw new RangeError("maxLength must leave room for [CLS] and [SEP]");
    [this.padId, this.unkId, this.clsId, this.sepId] = SPECIALS.map((s) => map[s]);
    this.tokenizer = new Tokenizer(
      {
        version: "1.0",
        added_tokens: [],
        normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
        pre_tokenizer: { type: "BertPreTokenizer" },
        post_processor: null,
        decoder: null,
        model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: map },
      },
      {},
    );
  }

  /** WordPiece tokens of the text, without special tokens or truncation. */
  tokenize(text: string): string[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).tokens;
  }

  /** Ids with [CLS] / [SEP], truncated to maxLength (not padded). */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    return [this.clsId, ...ids.slice(0, this.maxLength - 2), this.sepId];
  }

  /** [batch, longest] ids padded with [PAD], attention mask, token_type_ids (zeros). */
  encodeBatch(texts: string[]): TokenBatch {
    const rows = texts.map((t) => this.encode(t));
    const seqLen = Math.max(2, ...rows.map((r) => r.length));
    return packBatch(rows, seqLen, this.padId);
  }
}
