/**
 * Derives the image-embedding model from the ONNX Model Zoo MobileNetV2 int8 model by editing
 * its protobuf graph. The derived graph maps a batch of normalised RGB tensors [N,3,224,224] to
 * one embedding per image [N,1280]:
 *
 *   input ─┬───────────────────────────────┐
 *          └─ Conv 1×1 (luminance view) ───┴─ Concat(axis 0) [2N,3,224,224]
 *      → the original network up to its last 1×1 conv (uint8 [2N,1280,7,7], post-ReLU6)
 *      → DequantizeLinear → Relu → Pow 3 → GlobalAveragePool → Pow 1/3 → Flatten   (GeM, p = 3)
 *      → Reshape [2,N,1280] → LpNormalization (L2, last axis) → ReduceSum(axis 0)
 *      = graph output "embedding" [N,1280]: the sum of the colour and luminance views' unit vectors.
 *   the colour view's 14×14×96 map after block 13 (tensor 426 of the pinned model, uint8)
 *      → DequantizeLinear → Relu → AveragePool 2×2 → Reshape [2,N,96·49] → Gather(view 0)
 *      = graph output "local" [N,4704]: 49 regional descriptors (96-d, a 7×7 grid, region-major
 *        after a transpose in JS) for re-ranking the photo search's head by local matching.
 *
 * Why (measured on luma-dev, docs/quality.md):
 *  - GeM pooling (generalised mean, p = 3) instead of the network's average pool: it weights the
 *    strongest activations of each channel — the object's distinctive parts — over a 7×7 map that
 *    is mostly product-shaped background; the standard pooling for instance retrieval with CNNs.
 *  - The luminance view: the same photo as grey (Rec. 601 luma, replicated to 3 channels) goes
 *    through the network beside the colour one, and the two unit vectors are added, so the
 *    embedding is half colour-invariant. A shopper's photo often shows another colour variant
 *    than the merchant's photos; the colour signature remains its own channel.
 * The grey conversion is a 1×1 convolution folded into the normalised input space: with
 * x_c = (r_c − mean_c)/std_c and y = Σ_k L_k r_k, grey_c = (y − mean_c)/std_c
 * = Σ_k (L_k std_k / std_c) x_k + (Σ_k L_k mean_k − mean_c) / std_c.
 *
 * The classifier ("output", ImageNet logits) is dropped and everything that only fed it is
 * pruned. The edit is deterministic (same input bytes → same output bytes).
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;

export const EMBEDDING_OUTPUT_NAME = "embedding";
export const LOCAL_OUTPUT_NAME = "local";
/** Regional descriptors: LOCAL_CHANNELS-d features on a LOCAL_GRID × LOCAL_GRID grid. */
export const LOCAL_CHANNELS = 96;
export const LOCAL_GRID = 7;
/** The block-13 output of the pinned MobileNetV2-int8 (14×14×96, uint8) and its quantisation. */
const LOCAL_SOURCE = { tensor: "426_quantized", scale: "426_scale", zeroPoint: "426_zero_point" };
export const POOLED_DIM = 1280;
/** GeM exponent. */
export const GEM_P = 3;
/** Rec. 601 luma weights. */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

export interface DeriveOptions {
  /** The normalisation the model's input uses (the registry's mean/std). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export class ModelEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelEditError";
  }
}

type Graph = OnnxTypes.IGraphProto & {
  node: OnnxTypes.INodeProto[];
  input: OnnxTypes.IValueInfoProto[];
  output: OnnxTypes.IValueInfoProto[];
  initializer: OnnxTypes.ITensorProto[];
  valueInfo: OnnxTypes.IValueInfoProto[];
};

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, floatData: values });
}
function int64Tensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: INT64, int64Data: values });
}
function node(opType: string, input: string[], output: string[], attribute: OnnxTypes.IAttributeProto[] = []): OnnxTypes.INodeProto {
  return onnx.NodeProto.create({ name: `lookalike_${output[0]}`, opType, input, output, attribute });
}
function intAttr(name: string, i: number): OnnxTypes.IAttributeProto {
  return onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
}
function intsAttr(name: string, ints: number[]): OnnxTypes.IAttributeProto {
  return onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });
}

/** The 1×1 convolution turning a normalised RGB tensor into the normalised luminance view. */
export function luminanceConv(mean: readonly number[], std: readonly number[]): { weights: number[]; bias: number[] } {
  const weights: number[] = [];
  const bias: number[] = [];
  const lumaOfMean = LUMA[0] * mean[0] + LUMA[1] * mean[1] + LUMA[2] * mean[2];
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 3; k++) weights.push((LUMA[k] * std[k]) / std[c]);
    bias.push((lumaOfMean - mean[c]) / std[c]);
  }
  return { weights, bias };
}

export function deriveEmbeddingModel(model: Buffer, opts: DeriveOptions): Buffer {
  let m: InstanceType<typeof onnx.ModelProto>;
  try {
    m = onnx.ModelProto.decode(model);
  } catch (e) {
    throw new ModelEditError(`Not a valid ONNX model: ${(e as Error).message}`);
  }
  if (!m.graph) throw new ModelEditError("ONNX model has no graph");
  const g = m.graph as Graph;
  g.node ??= [];
  g.input ??= [];
  g.initializer ??= [];
  g.valueInfo ??= [];

  const pools = g.node.filter((n) => n.opType === "QLinearGlobalAveragePool");
  if (pools.length !== 1) throw new ModelEditError(`Expected exactly one QLinearGlobalAveragePool node, found ${pools.length}`);
  const poolIn = pools[0].input ?? [];
  if (poolIn.length < 5) throw new ModelEditError("QLinearGlobalAveragePool node does not have the expected 5 inputs");
  // The pool's input: the last 1×1 conv's uint8 map [N,1280,7,7] with its scale and zero point.
  const [featureMap, mapScale, mapZeroPoint] = poolIn;

  const inputName = g.input[0]?.name;
  const quantize = g.node.filter((n) => n.opType === "QuantizeLinear" && n.input?.[0] === inputName);
  if (!inputName || quantize.length !== 1) throw new ModelEditError("Expected the graph input to feed exactly one QuantizeLinear node");
  for (const name of [EMBEDDING_OUTPUT_NAME, LOCAL_OUTPUT_NAME]) {
    if (g.node.some((n) => n.output?.includes(name))) throw new ModelEditError(`Model already has a tensor named "${name}"`);
  }
  if (!g.node.some((n) => n.output?.includes(LOCAL_SOURCE.tensor))) {
    throw new ModelEditError(`Expected the block-13 tensor ${LOCAL_SOURCE.tensor} (the pinned MobileNetV2-int8)`);
  }

  // Luminance view, concatenated with the colour view along the batch axis.
  const { weights, bias } = luminanceConv(opts.mean, opts.std);
  g.initializer.push(
    floatTensor("lookalike_luma_w", [3, 3, 1, 1], weights),
    floatTensor("lookalike_luma_b", [3], bias),
    floatTensor("lookalike_gem_p", [], [GEM_P]),
    floatTensor("lookalike_gem_inv_p", [], [1 / GEM_P]),
    int64Tensor("lookalike_views_shape", [3], [2, -1, POOLED_DIM]),
    int64Tensor("lookalike_local_shape", [3], [2, -1, LOCAL_CHANNELS * LOCAL_GRID * LOCAL_GRID]),
    int64Tensor("lookalike_colour_view", [], [0]),
  );
  g.node.unshift(
    node("Conv", [inputName, "lookalike_luma_w", "lookalike_luma_b"], ["lookalike_luma"], [intsAttr("kernel_shape", [1, 1])]),
    node("Concat", [inputName, "lookalike_luma"], ["lookalike_views"], [intAttr("axis", 0)]),
  );
  quantize[0].input![0] = "lookalike_views";

  g.node.push(
    node("DequantizeLinear", [featureMap, mapScale, mapZeroPoint], ["lookalike_map"]),
    node("Relu", ["lookalike_map"], ["lookalike_map_pos"]),
    node("Pow", ["lookalike_map_pos", "lookalike_gem_p"], ["lookalike_map_cubed"]),
    node("GlobalAveragePool", ["lookalike_map_cubed"], ["lookalike_gem_mean"]),
    node("Pow", ["lookalike_gem_mean", "lookalike_gem_inv_p"], ["lookalike_gem"]),
    node("Flatten", ["lookalike_gem"], ["lookalike_gem_flat"], [intAttr("axis", 1)]),
    node("Reshape", ["lookalike_gem_flat", "lookalike_views_shape"], ["lookalike_by_view"]),
    node("LpNormalization", ["lookalike_by_view"], ["lookalike_by_view_unit"], [intAttr("axis", -1), intAttr("p", 2)]),
    node("ReduceSum", ["lookalike_by_view_unit"], [EMBEDDING_OUTPUT_NAME], [intsAttr("axes", [0]), intAttr("keepdims", 0)]),
    node("DequantizeLinear", [LOCAL_SOURCE.tensor, LOCAL_SOURCE.scale, LOCAL_SOURCE.zeroPoint], ["lookalike_local_map"]),
    node("Relu", ["lookalike_local_map"], ["lookalike_local_pos"]),
    node("AveragePool", ["lookalike_local_pos"], ["lookalike_local_pooled"], [intsAttr("kernel_shape", [2, 2]), intsAttr("strides", [2, 2])]),
    node("Reshape", ["lookalike_local_pooled", "lookalike_local_shape"], ["lookalike_local_by_view"]),
    node("Gather", ["lookalike_local_by_view", "lookalike_colour_view"], [LOCAL_OUTPUT_NAME], [intAttr("axis", 0)]),
  );

  const batchDim = g.input[0]?.type?.tensorType?.shape?.dim?.[0];
  const batch = batchDim?.dimParam ? { dimParam: batchDim.dimParam } : { dimParam: "batch_size" };
  const output = (name: string, dim: number) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: [onnx.TensorShapeProto.Dimension.create(batch), onnx.TensorShapeProto.Dimension.create({ dimValue: dim })],
          }),
        }),
      }),
    });
  g.output = [output(EMBEDDING_OUTPUT_NAME, POOLED_DIM), output(LOCAL_OUTPUT_NAME, LOCAL_CHANNELS * LOCAL_GRID * LOCAL_GRID)];
  // Shapes recorded for the old batch size (N) no longer hold for the doubled batch (2N).
  g.valueInfo = [];
  pruneToOutputs(g);
  return Buffer.from(onnx.ModelProto.encode(m).finish());
}

/** Removes nodes, initializers and value infos that do not contribute to the graph outputs. */
function pruneToOutputs(g: Graph): void {
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output?.forEach((o) => producer.set(o, i)));
  const needed = new Set<string>();
  const keep = new Set<number>();
  const stack = g.output.map((o) => o.name ?? "");
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t)) continue;
    needed.add(t);
    const p = producer.get(t);
    if (p !== undefined && !keep.has(p)) {
      keep.add(p);
      for (const inp of g.node[p].input ?? []) if (inp) stack.push(inp);
    }
  }
  g.node = g.node.filter((_, i) => keep.has(i));
  // Graph inputs that are not initializers must stay (the model's real inputs).
  const inits = new Set(g.initializer.map((t) => t.name ?? ""));
  g.initializer = g.initializer.filter((t) => needed.has(t.name ?? ""));
  g.valueInfo = g.valueInfo.filter((v) => needed.has(v.name ?? ""));
  g.input = g.input.filter((v) => needed.has(v.name ?? "") || !inits.has(v.name ?? ""));
}
