/**
 * Image embedder: prepared images -> L2-normalised vectors.
 *
 * With the derived model file present: an onnxruntime-node CPU session behind
 * a micro-batcher (concurrent `embed` calls are coalesced, up to 16 images:
 * those submitted in one event-loop turn and those arriving while a batch runs). Any image model
 * of the registry works (`modelId`: MobileNetV2 pooled by default, or CLIP ViT-B/32's vision
 * tower, pixel_values -> image_embeds). Without the file: a colour-signature fallback embedder
 * (modelId "color-fallback", dim COLOR_DIM) so the product keeps working.
 *
 * `offMainThread` (the web process): the session lives on a worker thread (ort-thread.server.ts),
 * because onnxruntime-node runs inference synchronously on the calling thread.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { COLOR_DIM } from "./color-signature.server";
import { createThreadSession } from "../models/ort-thread.server";
import { sessionOptions } from "../models/onnx-session.server";
import type { PreparedImage } from "./image-preprocess.server";
import { MicroBatcher } from "../models/micro-batcher";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec, type ModelSpec } from "../models/model-registry";
import { encodeLocal, LOCAL_BYTES } from "./local-features";
import { l2normalize } from "../vector-codec";

export interface ImageEmbedder {
  readonly modelId: string;
  readonly dim: number;
  /** The model images must be prepared for (prepareImage's `model` option); absent for the colour fallback. */
  readonly spec?: ModelSpec;
  embed(images: PreparedImage[]): Promise<Float32Array[]>;
  /**
   * The embeddings and, when the model has a "local" output (the default model), each image's
   * regional descriptors (local-features.ts). Models without one give `local: undefined`.
   */
  embedWithLocal(images: PreparedImage[]): Promise<EmbeddedImage[]>;
  close(): Promise<void>;
}

export interface EmbeddedImage {
  vector: Float32Array;
  local?: Int8Array;
}

export interface CreateImageEmbedderOptions {
  modelsDir: string;
  modelId?: string;
  intraOpThreads?: number;
  /** Micro-batch limits; defaults 16 images / 0 ms (opportunistic). */
  maxBatch?: number;
  maxWaitMs?: number;
  /** Run the model on a worker thread, not the calling thread (keeps a server's event loop free). */
  offMainThread?: boolean;
  /**
   * Ask onnxruntime for exact int8 arithmetic (`session.x64quantprecision`). Default: where its
   * default kernel saturates (int8KernelSaturates). True or false only to measure.
   */
  exactInt8?: boolean;
}

export const COLOR_FALLBACK_MODEL_ID = "color-fallback";
export const MAX_BATCH = 16;
/** 0 = opportunistic batching (see MicroBatcher): no waiting window for a lone photo-search query. */
export const MAX_WAIT_MS = 0;

export function modelPath(modelsDir: string, spec: ModelSpec): string {
  return path.join(modelsDir, spec.fileName);
}

export async function createImageEmbedder(opts: CreateImageEmbedderOptions): Promise<ImageEmbedder> {
  const spec = getModelSpec(opts.modelId ?? DEFAULT_IMAGE_MODEL_ID);
  const file = modelPath(opts.modelsDir, spec);
  if (!existsSync(file)) return createColorFallbackEmbedder();
  const options = sessionOptions(opts.intraOpThreads, opts.exactInt8);
  // The embedding, and the regional descriptors when the model has them.
  const outputNames = spec.localOutputName ? [spec.outputName, spec.localOutputName] : [spec.outputName];
  let model: ModelRunner;
  if (opts.offMainThread) {
    const thread = await createThreadSession(file, options);
    model = { run: async (input, dims) => ({ outputs: await thread.run(spec.inputName, outputNames, input, dims) }), release: () => thread.release() };
  } else {
    const session = await ort.InferenceSession.create(file, options);
    model = {
      run: async (input, dims) => {
        const out = await session.run({ [spec.inputName]: new ort.Tensor("float32", input, dims) });
        const tensors = outputNames.map((name) => out[name]);
        return { outputs: tensors.map((t) => t.data as Float32Array), dispose: () => tensors.forEach((t) => t.dispose?.()) };
      },
      release: () => session.release(),
    };
  }
  return new OnnxImageEmbedder(spec, model, opts.maxBatch ?? MAX_BATCH, opts.maxWaitMs ?? MAX_WAIT_MS);
}

export function createColorFallbackEmbedder(): ImageEmbedder {
  return {
    modelId: COLOR_FALLBACK_MODEL_ID,
    dim: COLOR_DIM,
    embed: async (images) => images.map((im) => l2normalize(im.color)),
    embedWithLocal: async (images) => images.map((im) => ({ vector: l2normalize(im.color) })),
    close: async () => {},
  };
}

/** The model's input values ([n, 3, s, s]) -> its outputs' values (the embedding first), wherever it runs. */
interface ModelRunner {
  run(input: Float32Array, dims: number[]): Promise<{ outputs: Float32Array[]; dispose?: () => void }>;
  release(): Promise<void>;
}

class OnnxImageEmbedder implements ImageEmbedder {
  readonly modelId: string;
  readonly dim: number;
  private readonly batcher: MicroBatcher<Float32Array, EmbeddedImage>;
  private readonly plane: number;

  constructor(
    readonly spec: ModelSpec,
    private readonly model: ModelRunner,
    maxBatch: number,
    maxWaitMs: number,
  ) {
    this.modelId = spec.id;
    this.dim = spec.dim;
    this.plane = 3 * spec.inputSize * spec.inputSize;
    this.batcher = new MicroBatcher({ maxBatch, maxWaitMs, run: (t) => this.runBatch(t) });
  }

  /** Exposed for tests/metrics: sizes of the batches actually run. */
  get batchSizes(): readonly number[] {
    return this.batcher.batchSizes;
  }

  async embed(images: PreparedImage[]): Promise<Float32Array[]> {
    return (await this.embedWithLocal(images)).map((e) => e.vector);
  }

  embedWithLocal(images: PreparedImage[]): Promise<EmbeddedImage[]> {
    for (const im of images) {
      if (im.tensor.length !== this.plane) {
        return Promise.reject(new RangeError(`prepared tensor has ${im.tensor.length} values, expected ${this.plane}`));
      }
    }
    return this.batcher.submit(images.map((im) => im.tensor));
  }

  private async runBatch(tensors: Float32Array[]): Promise<EmbeddedImage[]> {
    const n = tensors.length;
    const input = new Float32Array(n * this.plane);
    tensors.forEach((t, i) => input.set(t, i * this.plane));
    const s = this.spec.inputSize;
    const { outputs, dispose } = await this.model.run(input, [n, 3, s, s]);
    const [data, localData] = outputs;
    const dim = this.dim;
    if (data.length !== n * dim) throw new Error(`model output has ${data.length} values, expected ${n * dim}`);
    if (localData && localData.length !== n * LOCAL_BYTES) throw new Error(`model local output has ${localData.length} values, expected ${n * LOCAL_BYTES}`);
    const res: EmbeddedImage[] = [];
    for (let i = 0; i < n; i++) {
      res.push({
        vector: l2normalize(data.subarray(i * dim, (i + 1) * dim)),
        local: localData ? encodeLocal(localData.subarray(i * LOCAL_BYTES, (i + 1) * LOCAL_BYTES)) : undefined,
      });
    }
    dispose?.();
    return res;
  }

  async close(): Promise<void> {
    this.batcher.close();
    await this.model.release();
  }
}
