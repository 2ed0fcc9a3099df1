import { describe, expect, it } from "vitest";
import { CLIP_BOS, CLIP_EOS, ClipTokenizer, TokenizerDataError, clipVocabFromTokenizerJson } from "./clip-tokenizer";
import { tinyClipVocab } from "../../../test/support/tiny-onnx-models";
import { row } from "./token-batch";

const data = tinyClipVocab();
const tok = new ClipTokenizer(data);
const id = (t: string) => data.vocab[t];

describe("ClipTokenizer (byte-level BPE, tiny vocabulary built here)", () => {
  it("applies merges by rank and marks the end of each word", () => {
    expect(tok.tokenize("low")).toEqual(["low</w>"]);
    expect(tok.tokenize("lower")).toEqual(["lower</w>"]);
    // "lowest": l o -> lo, lo w -> low; no merge for e/s/t.
    expect(tok.tokenize("lowest")).toEqual(["low", "e", "s", "t</w>"]);
  });

  it("lower-cases, collapses whitespace and splits punctuation runs from words", () => {
    expect(tok.tokenize("  LOW \n\t Lower!! ")).toEqual(["low</w>", "lower</w>", "!", "!</w>"]);
    expect(tok.tokenize("Hello, World")).toEqual(["h", "e", "l", "l", "o</w>", ",</w>", "w", "o", "r", "l", "d</w>"]);
  });

  it("splits digits one by one and keeps contractions as their own word", () => {
    expect(tok.tokenize("42")).toEqual(["4</w>", "2</w>"]);
    expect(tok.tokenize("low's")).toEqual(["low</w>", "'", "s</w>"]);
  });

  it("maps UTF-8 bytes to the byte alphabet (é = C3 A9 -> Ã ©)", () => {
    expect(tok.tokenize("café")).toEqual(["c", "a", "f", "Ã", "©</w>"]);
  });

  it("decodes HTML entities before tokenising (&amp;amp; too, as OpenAI's basic_clean)", () => {
    expect(tok.tokenize("low &amp; lower")).toEqual(tok.tokenize("low & lower"));
    expect(tok.tokenize("low &amp;amp; lower")).toEqual(tok.tokenize("low & lower"));
  });

  it("wraps in <|startoftext|> ... <|endoftext|> and pads to 77 with <|endoftext|>", () => {
    const b = tok.encodeBatch(["low lower", "LOW"]);
    expect(b.batch).toBe(2);
    expect(b.seqLen).toBe(77);
    expect(b.inputIds.length).toBe(2 * 77);
    const r0 = row(b.inputIds, 77, 0);
    expect(r0.slice(0, 4)).toEqual([id(CLIP_BOS), id("low</w>"), id("lower</w>"), id(CLIP_EOS)]);
    expect(r0.slice(4).every((x) => x === id(CLIP_EOS))).toBe(true);
    expect(row(b.attentionMask, 77, 0).reduce((a, x) => a + x, 0)).toBe(4);
    expect(row(b.inputIds, 77, 1).slice(0, 3)).toEqual([id(CLIP_BOS), id("low</w>"), id(CLIP_EOS)]);
    expect(b.lengths).toEqual([4, 3]);
  });

  it("truncates long texts to 77 tokens, keeping <|endoftext|> last", () => {
    const b = tok.encodeBatch([Array(200).fill("low").join(" ")]);
    const r = row(b.inputIds, 77, 0);
    expect(r.length).toBe(77);
    expect(r[0]).toBe(id(CLIP_BOS));
    expect(r.slice(1, 76).every((x) => x === id("low</w>"))).toBe(true);
    expect(r[76]).toBe(id(CLIP_EOS));
    expect(b.lengths).toEqual([77]);
  });

  it("an empty text is just the two special tokens", () => {
    expect(tok.encode("   ")).toEqual([id(CLIP_BOS), id(CLIP_EOS)]);
  });

  it("reads vocab and merges out of a tokenizer.json and refuses other files", () => {
    const fromJson = clipVocabFromTokenizerJson({ model: { type: "BPE", vocab: data.vocab, merges: data.merges } });
    expect(new ClipTokenizer(fromJson).encode("lower")).toEqual(tok.encode("lower"));
    // Newer tokenizer.json files store merges as pairs.
    const pairs = clipVocabFromTokenizerJson({
      model: { type: "BPE", vocab: data.vocab, merges: data.merges.map((m) => (m as string).split(" ")) },
    });
    expect(new ClipTokenizer(pairs).encode("lower")).toEqual(tok.encode("lower"));
    // Special tokens listed only under added_tokens are found there.
    const { [CLIP_BOS]: bos, [CLIP_EOS]: eos, ...plain } = data.vocab;
    const added = clipVocabFromTokenizerJson({
      added_tokens: [{ id: bos, content: CLIP_BOS }, { id: eos, content: CLIP_EOS }],
      model: { type: "BPE", vocab: plain, merges: data.merges },
    });
    expect(new ClipTokenizer(added).encode("lower")).toEqual(tok.encode("lower"));
    expect(() => clipVocabFromTokenizerJson({ model: { type: "WordPiece", vocab: {} } })).toThrow(TokenizerDataError);
    expect(() => new ClipTokenizer({ vocab: { a: 0 }, merges: [] })).toThrow(TokenizerDataError);
  });
});
