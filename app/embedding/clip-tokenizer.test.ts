import { describe, expect, it } from "vitest";
import { CLIP_BOS, CLIP_EOS, ClipTokenizer, TokenizerDataError, clipVocabFromTokenizerJson, type ClipVocab } from "./clip-tokenizer.js";
import { row } from "./token-batch.js";

/** GPT-2 / CLIP byte -> printable character table (the published algorithm). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out: string[] = [];
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

/** A CLIP-shaped vocabulary: 256 byte symbols, 256 with "</w>", a few merges, then the two specials. */
function tinyClipVocab(): ClipVocab {
  const bytes = bytesToUnicode();
  const merges: [string, string][] = [
    ["l", "o"],
    ["lo", "w</w>"],
    ["e", "r</w>"],
    ["lo", "w"],
    ["low", "er</w>"],
  ];
  const tokens = [...bytes, ...bytes.map((b) => `${b}</w>`), ...merges.map(([a, b]) => a + b), CLIP_BOS, CLIP_EOS];
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  return { vocab, merges: merges.map(([a, b]) => `${a} ${b}`) };
}

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
    expect(() => clipVocabFromTokenizerJson({ model: { type: "WordPiece", vocab: {} } })).toThrow(TokenizerDataError);
    expect(() => new ClipTokenizer({ vocab: { a: 0 }, merges: [] })).toThrow(TokenizerDataError);
  });
});
