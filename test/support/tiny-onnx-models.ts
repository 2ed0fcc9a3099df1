/**
 * Test helpers (used by *.test.ts only): tiny ONNX models with the same input/output names,
 * dtypes and shapes as the real exports, and known weights, so a test can compute the exact
 * vector our code must produce.
 *
 *  - CLIP text:   input_ids int64 [N,T] -> Gather(E) -> last_hidden_state [N,T,D]
 *                 -> ReduceMean over T -> text_embeds [N,D]
 *  - CLIP vision: pixel_values float32 [N,3,224,224] -> ReduceMean over H,W [N,3]
 *                 -> MatMul(W [3,D]) -> image_embeds [N,D]
 *  - MiniLM:      input_ids, attention_mask, token_type_ids int64 [N,T]
 *                 -> E[ids] + TT[types] + mask * M -> last_hidden_state [N,T,D]
 *                 (padding rows are NOT zero, as in a real BERT: pooling must use the mask)
 *
 * Plus tiny vocabularies of the real formats (CLIP tokenizer.json vocab/merges, BERT vocab.txt).
 */
import onnxProto from "onnx-proto";
import { CLIP_BOS, CLIP_EOS, type ClipVocab } from "../../app/embedding/text/clip-tokenizer";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomFloats(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

function floatInit(name: string, dims: number[], data: Float32Array): OnnxTypes.ITensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
}

function int64Init(name: string, values: number[]): OnnxTypes.ITensorProto {
  const raw = new BigInt64Array(values.map(BigInt));
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: T.INT64, rawData: new Uint8Array(raw.buffer) });
}

function io(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function node(opType: string, input: string[], output: string[], attrs: Record<string, number | number[]> = {}): OnnxTypes.INodeProto {
  const attribute = Object.entries(attrs).map(([name, v]) =>
    Array.isArray(v)
      ? onnx.AttributeProto.create({ name, ints: v, type: onnx.AttributeProto.AttributeType.INTS })
      : onnx.AttributeProto.create({ name, i: v, type: onnx.AttributeProto.AttributeType.INT }),
  );
  return onnx.NodeProto.create({ name: `${opType}_${output[0]}`, opType, input, output, attribute });
}

function model(graph: OnnxTypes.IGraphProto): Buffer {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "lookalike-tests",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 13 })],
    graph: onnx.GraphProto.create(graph),
  });
  return Buffer.from(onnx.ModelProto.encode(m).finish());
}

/** CLIP text tower stand-in. `E` is [vocabSize, dim] row-major. */
export function tinyClipTextModel(vocabSize: number, dim: number, E: Float32Array): Buffer {
  return model({
    name: "tiny-clip-text",
    input: [io("input_ids", T.INT64, ["batch", "sequence"])],
    output: [io("text_embeds", T.FLOAT, ["batch", dim]), io("last_hidden_state", T.FLOAT, ["batch", "sequence", dim])],
    initializer: [floatInit("E", [vocabSize, dim], E)],
    node: [
      node("Gather", ["E", "input_ids"], ["last_hidden_state"], { axis: 0 }),
      node("ReduceMean", ["last_hidden_state"], ["text_embeds"], { axes: [1], keepdims: 0 }),
    ],
  });
}

/** CLIP vision tower stand-in. `W` is [3, dim] row-major. */
export function tinyClipVisionModel(dim: number, W: Float32Array): Buffer {
  return model({
    name: "tiny-clip-vision",
    input: [io("pixel_values", T.FLOAT, ["batch", 3, 224, 224])],
    output: [io("image_embeds", T.FLOAT, ["batch", dim]), io("last_hidden_state", T.FLOAT, ["batch", 3])],
    initializer: [floatInit("W", [3, dim], W)],
    node: [
      node("ReduceMean", ["pixel_values"], ["last_hidden_state"], { axes: [2, 3], keepdims: 0 }),
      node("MatMul", ["last_hidden_state", "W"], ["image_embeds"]),
    ],
  });
}

/** MiniLM (BERT) stand-in. `E` [vocabSize, dim], `TT` [2, dim], `M` [dim]. */
export function tinyBertModel(vocabSize: number, dim: number, E: Float32Array, TT: Float32Array, M: Float32Array): Buffer {
  return model({
    name: "tiny-bert",
    input: [
      io("input_ids", T.INT64, ["batch", "sequence"]),
      io("attention_mask", T.INT64, ["batch", "sequence"]),
      io("token_type_ids", T.INT64, ["batch", "sequence"]),
    ],
    output: [io("last_hidden_state", T.FLOAT, ["batch", "sequence", dim])],
    initializer: [floatInit("E", [vocabSize, dim], E), floatInit("TT", [2, dim], TT), floatInit("M", [dim], M), int64Init("last_axis", [-1])],
    node: [
      node("Gather", ["E", "input_ids"], ["tok"], { axis: 0 }),
      node("Gather", ["TT", "token_type_ids"], ["typ"], { axis: 0 }),
      node("Cast", ["attention_mask"], ["mask_f"], { to: T.FLOAT }),
      node("Unsqueeze", ["mask_f", "last_axis"], ["mask_3d"]),
      node("Mul", ["mask_3d", "M"], ["masked"]),
      node("Add", ["tok", "typ"], ["sum1"]),
      node("Add", ["sum1", "masked"], ["last_hidden_state"]),
    ],
  });
}

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
export function tinyClipVocab(): ClipVocab {
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


/** BERT's own tokenizer-test vocabulary plus a few tokens, as vocab.txt text. */
export const TINY_BERT_VOCAB_TXT =
  [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest",
    "##aff", "##able", "cafe", "!", "中", "国", "hello",
  ].join("\n") + "\n";
