/**
 * Derives the "pooled features" model from the ONNX Model Zoo MobileNetV2 int8
 * model by editing its protobuf graph:
 *
 *   QLinearGlobalAveragePool (uint8 [N,1280,1,1], scale/zp = its 4th/5th inputs)
 *     -> DequantizeLinear (float32 [N,1280,1,1])
 *     -> Flatten(axis=1)  (float32 [N,1280])  = new graph output "pooled"
 *
 * Decision: the original classifier output ("output", ImageNet logits) is
 * DROPPED, and the nodes / initializers that only fed it are pruned. The
 * embedder never needs the logits, and pruning saves the 1280x1000 matmul and
 * ~1.3 MB of weights. The edit is deterministic (same input bytes -> same
 * output bytes).
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;

export const POOLED_OUTPUT_NAME = "pooled";
export const POOLED_DIM = 1280;

export class ModelEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelEditError";
  }
}

export function exposePooledFeatures(model: Buffer): Buffer {
  let m: InstanceType<typeof onnx.ModelProto>;
  try {
    m = onnx.ModelProto.decode(model);
  } catch (e) {
    throw new ModelEditError(`Not a valid ONNX model: ${(e as Error).message}`);
  }
  const g = m.graph;
  if (!g) throw new ModelEditError("ONNX model has no graph");
  g.node ??= [];
  g.input ??= [];
  g.initializer ??= [];
  g.valueInfo ??= [];

  const pools = g.node.filter((n) => n.opType === "QLinearGlobalAveragePool");
  if (pools.length !== 1) {
    throw new ModelEditError(`Expected exactly one QLinearGlobalAveragePool node, found ${pools.length}`);
  }
  const pool = pools[0];
  const poolIn = pool.input ?? [];
  if (poolIn.length < 5 || !pool.output || pool.output.length !== 1) {
    throw new ModelEditError("QLinearGlobalAveragePool node does not have the expected 5 inputs / 1 output");
  }
  const quantized = pool.output[0];
  const scale = poolIn[3];
  const zeroPoint = poolIn[4];
  const deq = `${POOLED_OUTPUT_NAME}_dequantized`;

  if (g.node.some((n) => n.output?.includes(POOLED_OUTPUT_NAME))) {
    throw new ModelEditError(`Model already has a tensor named "${POOLED_OUTPUT_NAME}"`);
  }

  g.node.push(
    onnx.NodeProto.create({
      name: `${POOLED_OUTPUT_NAME}_DequantizeLinear`,
      opType: "DequantizeLinear",
      input: [quantized, scale, zeroPoint],
      output: [deq],
    }),
    onnx.NodeProto.create({
      name: `${POOLED_OUTPUT_NAME}_Flatten`,
      opType: "Flatten",
      input: [deq],
      output: [POOLED_OUTPUT_NAME],
      attribute: [onnx.AttributeProto.create({ name: "axis", i: 1, type: onnx.AttributeProto.AttributeType.INT })],
    }),
  );

  const batchDim = g.input[0]?.type?.tensorType?.shape?.dim?.[0];
  const batch = batchDim?.dimParam ? { dimParam: batchDim.dimParam } : { dimParam: "batch_size" };
  g.output = [
    onnx.ValueInfoProto.create({
      name: POOLED_OUTPUT_NAME,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: [
              onnx.TensorShapeProto.Dimension.create(batch),
              onnx.TensorShapeProto.Dimension.create({ dimValue: POOLED_DIM }),
            ],
          }),
        }),
      }),
    }),
  ];

  pruneToOutputs(g as Parameters<typeof pruneToOutputs>[0]);
  return Buffer.from(onnx.ModelProto.encode(m).finish());
}

/** Removes nodes, initializers and value infos that do not contribute to the graph outputs. */
function pruneToOutputs(
  g: OnnxTypes.IGraphProto & {
    node: OnnxTypes.INodeProto[];
    input: OnnxTypes.IValueInfoProto[];
    output: OnnxTypes.IValueInfoProto[];
    initializer: OnnxTypes.ITensorProto[];
    valueInfo: OnnxTypes.IValueInfoProto[];
  },
): void {
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
