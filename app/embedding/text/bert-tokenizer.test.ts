import { describe, expect, it } from "vitest";
import { BertTokenizer, parseVocabTxt } from "./bert-tokenizer";
import { TokenizerDataError } from "./clip-tokenizer";
import { TINY_BERT_VOCAB_TXT } from "../../../test/support/tiny-onnx-models";
import { row } from "./token-batch";

const vocab = parseVocabTxt(TINY_BERT_VOCAB_TXT);
const tok = new BertTokenizer(vocab);
const id = (t: string) => vocab.indexOf(t);

describe("BertTokenizer (WordPiece, tiny vocabulary built here)", () => {
  it("splits words into the longest vocabulary pieces with ## continuations", () => {
    expect(tok.tokenize("unaffable")).toEqual(["un", "##aff", "##able"]);
    expect(tok.tokenize("unwanted running")).toEqual(["un", "##want", "##ed", "runn", "##ing"]);
  });

  it("lower-cases, strips accents and splits punctuation (BERT's own test case)", () => {
    expect(tok.tokenize("UNwant\u00E9d,running")).toEqual(["un", "##want", "##ed", ",", "runn", "##ing"]);
    expect(tok.tokenize("Café!")).toEqual(["cafe", "!"]);
  });

  it("puts CJK ideographs in words of their own", () => {
    expect(tok.tokenize("hello中国")).toEqual(["hello", "中", "国"]);
  });

  it("an unknown word is one [UNK]; control characters vanish", () => {
    // The NUL is removed (not a separator): "lo\0west" is the word "lowest".
    expect(tok.tokenize("lo\u0000west xyz")).toEqual(["lowest", "[UNK]"]);
    expect(tok.tokenize("a".repeat(101))).toEqual(["[UNK]"]);
  });

  it("encodes a batch: [CLS] ... [SEP], padded with [PAD] to the longest, mask and token types", () => {
    const b = tok.encodeBatch(["unaffable", "low"]);
    expect(b.seqLen).toBe(5);
    expect(row(b.inputIds, 5, 0)).toEqual([id("[CLS]"), id("un"), id("##aff"), id("##able"), id("[SEP]")]);
    expect(row(b.inputIds, 5, 1)).toEqual([id("[CLS]"), id("low"), id("[SEP]"), id("[PAD]"), id("[PAD]")]);
    expect(row(b.attentionMask, 5, 1)).toEqual([1, 1, 1, 0, 0]);
    expect(row(b.tokenTypeIds, 5, 0)).toEqual([0, 0, 0, 0, 0]);
    expect(b.lengths).toEqual([5, 3]);
  });

  it("truncates to maxLength keeping [SEP] last (128 here)", () => {
    const t128 = new BertTokenizer(vocab, 128);
    const ids = t128.encode(Array(300).fill("low").join(" "));
    expect(ids.length).toBe(128);
    expect(ids[0]).toBe(id("[CLS]"));
    expect(ids[127]).toBe(id("[SEP]"));
    expect(new BertTokenizer(vocab).encode(Array(300).fill("low").join(" ")).length).toBe(256);
  });

  it("refuses a vocabulary without the special tokens", () => {
    expect(() => new BertTokenizer(["a", "b"])).toThrow(TokenizerDataError);
  });
});
