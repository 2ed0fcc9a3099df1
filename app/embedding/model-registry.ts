/**
 * Known image models. The source model is downloaded (or copied from a mirror)
 * and verified by SHA-256; the "pooled" model is derived from it locally by a
 * graph edit (see onnx-pooled-features.server.ts).
 */
export interface ModelSpec {
  id: string;
  version: string;
  fileName: string;
  /** SHA-256 of the file. For a derived model: of the deterministic derivation output. */
  sha256: string;
  sizeBytes: number;
  upstreamUrls: string[];
  inputName: string;
  outputName: string;
  inputSize: 224;
  mean: [number, number, number];
  std: [number, number, number];
  /** Length of the output vector per image. */
  dim: number;
  /** Id of the model this one is derived from (not downloaded itself). */
  derivedFrom?: string;
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export const SOURCE_IMAGE_MODEL_ID = "mobilenetv2-12-int8";
export const DEFAULT_IMAGE_MODEL_ID = "mobilenetv2-12-int8-pooled";

export const MODELS: Readonly<Record<string, ModelSpec>> = {
  [SOURCE_IMAGE_MODEL_ID]: {
    id: SOURCE_IMAGE_MODEL_ID,
    version: "12-int8",
    fileName: "mobilenetv2-12-int8.onnx",
    sha256: "cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f",
    sizeBytes: 3_655_033,
    upstreamUrls: [
      "https://huggingface.co/onnxmodelzoo/mobilenetv2-12-int8/resolve/main/mobilenetv2-12-int8.onnx",
      "https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx",
    ],
    inputName: "input",
    outputName: "output",
    inputSize: 224,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    dim: 1000,
  },
  [DEFAULT_IMAGE_MODEL_ID]: {
    id: DEFAULT_IMAGE_MODEL_ID,
    version: "12-int8-pooled-1",
    fileName: "mobilenetv2-12-int8-pooled.onnx",
    sha256: "ad7153f4d8c20ce2a10e78f49c3fb7e2abdaf5ed9d74810fbe0f9436b3e0e9de",
    sizeBytes: 2_367_828,
    upstreamUrls: [],
    inputName: "input",
    outputName: "pooled",
    inputSize: 224,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    dim: 1280,
    derivedFrom: SOURCE_IMAGE_MODEL_ID,
  },
};

export function getModelSpec(id: string): ModelSpec {
  const spec = MODELS[id];
  if (!spec) throw new Error(`Unknown model id "${id}". Known: ${Object.keys(MODELS).join(", ")}`);
  return spec;
}
