/**
 * Known models. Image models (MODELS): the default MobileNetV2 source model is
 * downloaded (or copied from a mirror) and verified by SHA-256; the embedding
 * model (GeM-pooled features of the photo and of its luminance view) is derived
 * from it locally by a graph edit (see onnx-pooled-features.server.ts). Optional packs (MODEL_PACKS, installed by
 * `scripts/models.ts install clip|minilm`): CLIP ViT-B/32 (image + text towers,
 * one 512-d space) and all-MiniLM-L6-v2 (384-d sentence vectors), from their
 * public ONNX exports pinned to a repository revision and SHA-256.
 */

/** A file the installer fetches and verifies. `fileName` is relative to the models dir (and to the mirror). */
export interface PinnedFile {
  fileName: string;
  /** SHA-256 of the file. For a derived model: of the deterministic derivation output. */
  sha256: string;
  sizeBytes: number;
  upstreamUrls: string[];
  /**
   * Whether the pin was checked against the real file on this project's machines. The optional
   * packs cannot be downloaded here (no model hub), so their pins are taken from public projects
   * that pin the same revision, and are unverified until someone installs them with network access.
   */
  pinVerifiedHere?: boolean;
}

/** How a decoded photo becomes the square model input. */
export type ImageFit =
  /** Trim a uniform studio background, fit the whole product on a white square (MobileNetV2 default). */
  | "contain-white"
  /** CLIP's own recipe: resize the shortest side to the input size (bicubic), centre crop. */
  | "cover-centre";

export interface ModelSpec extends PinnedFile {
  id: string;
  version: string;
  inputName: string;
  outputName: string;
  /** A second output of regional descriptors (local-features.ts), when the model has one. */
  localOutputName?: string;
  inputSize: 224;
  mean: [number, number, number];
  std: [number, number, number];
  /** Length of the output vector per image. */
  dim: number;
  /** Id of the model this one is derived from (not downloaded itself). */
  derivedFrom?: string;
  /** Default "contain-white". */
  fit?: ImageFit;
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export const SOURCE_IMAGE_MODEL_ID = "mobilenetv2-12-int8";
export const DEFAULT_IMAGE_MODEL_ID = "mobilenetv2-12-int8-gem-luma";
export const CLIP_IMAGE_MODEL_ID = "clip-vit-b32-image-q8";
export const CLIP_TEXT_MODEL_ID = "clip-vit-b32-text-q8";
export const MINILM_TEXT_MODEL_ID = "all-minilm-l6-v2-q8";

/*
 * Pins of the optional packs. Hugging Face serves a file of a fixed revision at
 * /<repo>/resolve/<revision>/<path>; LFS files' SHA-256 is their content hash.
 * NOT VERIFIED ON THIS MACHINE (no model hub reachable). Provenance, 2026-11:
 *  - Xenova/clip-vit-base-patch32 @ d15189d7…: vision_model_quantized.onnx (583fd111…, 89,117,001 B),
 *    text_model_quantized.onnx (73baab85…, 64,504,507 B) and tokenizer.json (f7f3b7af…, 2,224,119 B)
 *    are pinned identically by several unrelated public projects at that same revision.
 *  - Xenova/all-MiniLM-L6-v2 @ 751bff37…: onnx/model_quantized.onnx (afdb6f1a…) is pinned by
 *    several public projects; its size (22,972,370 B) by one. vocab.txt (07eced37…, 231,508 B) is
 *    BERT-base-uncased's vocabulary, pinned by many projects.
 * `scripts/models.ts install` refuses any file whose SHA-256 differs, so a wrong pin fails loudly
 * (one message naming the file and both hashes), never silently.
 */
const CLIP_REPO = "Xenova/clip-vit-base-patch32";
const CLIP_REVISION = "d15189d7028b43f1d3e65039190477f6af591c2a";
const MINILM_REPO = "Xenova/all-MiniLM-L6-v2";
const MINILM_REVISION = "751bff37182d3f1213fa05d7196b954e230abad9";
/** Folder of each pack under the models dir (and under MODELS_MIRROR). */
const CLIP_PACK_DIR = "clip-vit-b32";
const MINILM_PACK_DIR = "all-minilm-l6-v2";

function hfUrl(repo: string, revision: string, file: string): string {
  return `https://huggingface.co/${repo}/resolve/${revision}/${file}`;
}

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
    pinVerifiedHere: true,
  },
  [DEFAULT_IMAGE_MODEL_ID]: {
    id: DEFAULT_IMAGE_MODEL_ID,
    version: "12-int8-gem3-luma-2",
    fileName: "mobilenetv2-12-int8-gem-luma.onnx",
    sha256: "e13798b4c956f8f3e43fc8c8d167ca3091a628c30d9231eba243e1e098a7fd25",
    sizeBytes: 2_369_380,
    upstreamUrls: [],
    inputName: "input",
    outputName: "embedding",
    localOutputName: "local",
    inputSize: 224,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    dim: 1280,
    derivedFrom: SOURCE_IMAGE_MODEL_ID,
    pinVerifiedHere: true,
  },
  [CLIP_IMAGE_MODEL_ID]: {
    id: CLIP_IMAGE_MODEL_ID,
    version: `xenova-${CLIP_REVISION.slice(0, 8)}-q8`,
    fileName: `${CLIP_PACK_DIR}/vision_model_quantized.onnx`,
    sha256: "583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299",
    sizeBytes: 89_117_001,
    upstreamUrls: [hfUrl(CLIP_REPO, CLIP_REVISION, "onnx/vision_model_quantized.onnx")],
    pinVerifiedHere: false,
    // float32 [batch, 3, 224, 224] -> float32 [batch, 512] (the projected embedding; the export
    // also has last_hidden_state, which we do not read).
    inputName: "pixel_values",
    outputName: "image_embeds",
    inputSize: 224,
    mean: CLIP_MEAN,
    std: CLIP_STD,
    dim: 512,
    fit: "cover-centre",
  },
};

export function getModelSpec(id: string): ModelSpec {
  const spec = MODELS[id];
  if (!spec) throw new Error(`Unknown model id "${id}". Known: ${Object.keys(MODELS).join(", ")}`);
  return spec;
}

/** Tokenisation recipes implemented in clip-tokenizer.ts and bert-tokenizer.ts. */
export type TokenizerKind = "clip-bpe" | "bert-wordpiece";

export interface TextModelSpec extends PinnedFile {
  id: string;
  version: string;
  tokenizer: TokenizerKind;
  /** The tokenizer's data file (CLIP: tokenizer.json, whose vocab + merges we use; BERT: vocab.txt). */
  tokenizerFile: PinnedFile;
  /** Tokens per text including the special tokens; longer texts are truncated. */
  maxLength: number;
  /** "max_length": every text padded to maxLength (CLIP); "longest": to the longest text in the batch. */
  padding: "max_length" | "longest";
  /** int64 [batch, tokens] inputs the export declares, in our names. */
  inputNames: ("input_ids" | "attention_mask" | "token_type_ids")[];
  outputName: string;
  /**
   * "none": the output is already one vector per text ([batch, dim], CLIP's text_embeds);
   * "mean": the output is [batch, tokens, dim] and is averaged over the attended tokens (MiniLM).
   * Either way the result is L2-normalised.
   */
  pooling: "none" | "mean";
  dim: number;
}

const CLIP_TOKENIZER_FILE: PinnedFile = {
  fileName: `${CLIP_PACK_DIR}/tokenizer.json`,
  sha256: "f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd",
  sizeBytes: 2_224_119,
  upstreamUrls: [hfUrl(CLIP_REPO, CLIP_REVISION, "tokenizer.json")],
  pinVerifiedHere: false,
};

const MINILM_VOCAB_FILE: PinnedFile = {
  fileName: `${MINILM_PACK_DIR}/vocab.txt`,
  sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
  sizeBytes: 231_508,
  upstreamUrls: [hfUrl(MINILM_REPO, MINILM_REVISION, "vocab.txt")],
  pinVerifiedHere: false,
};

export const TEXT_MODELS: Readonly<Record<string, TextModelSpec>> = {
  [CLIP_TEXT_MODEL_ID]: {
    id: CLIP_TEXT_MODEL_ID,
    version: `xenova-${CLIP_REVISION.slice(0, 8)}-q8`,
    fileName: `${CLIP_PACK_DIR}/text_model_quantized.onnx`,
    sha256: "73baab855d406190da9faa498cfedf65f15cf309f4cc7385b7b032e6d08e5c3a",
    sizeBytes: 64_504_507,
    upstreamUrls: [hfUrl(CLIP_REPO, CLIP_REVISION, "onnx/text_model_quantized.onnx")],
    pinVerifiedHere: false,
    tokenizer: "clip-bpe",
    tokenizerFile: CLIP_TOKENIZER_FILE,
    maxLength: 77,
    padding: "max_length",
    // int64 input_ids [batch, 77] -> float32 text_embeds [batch, 512] (same space as image_embeds).
    inputNames: ["input_ids"],
    outputName: "text_embeds",
    pooling: "none",
    dim: 512,
  },
  [MINILM_TEXT_MODEL_ID]: {
    id: MINILM_TEXT_MODEL_ID,
    version: `xenova-${MINILM_REVISION.slice(0, 8)}-q8`,
    fileName: `${MINILM_PACK_DIR}/model_quantized.onnx`,
    sha256: "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1",
    sizeBytes: 22_972_370,
    upstreamUrls: [hfUrl(MINILM_REPO, MINILM_REVISION, "onnx/model_quantized.onnx")],
    pinVerifiedHere: false,
    tokenizer: "bert-wordpiece",
    tokenizerFile: MINILM_VOCAB_FILE,
    // sentence-transformers' max_seq_length for this model (it was trained on 128-token inputs).
    maxLength: 256,
    padding: "longest",
    // int64 input_ids, attention_mask, token_type_ids [batch, tokens] -> float32 last_hidden_state
    // [batch, tokens, 384]; sentence vector = mean over attended tokens, L2-normalised.
    inputNames: ["input_ids", "attention_mask", "token_type_ids"],
    outputName: "last_hidden_state",
    pooling: "mean",
    dim: 384,
  },
};

export function getTextModelSpec(id: string): TextModelSpec {
  const spec = TEXT_MODELS[id];
  if (!spec) throw new Error(`Unknown text model id "${id}". Known: ${Object.keys(TEXT_MODELS).join(", ")}`);
  return spec;
}

/** What `scripts/models.ts install <id>` fetches: every file of the pack, each verified by SHA-256. */
export interface ModelPack {
  id: "clip" | "minilm";
  title: string;
  /** Source repository and the pinned revision the URLs point at. */
  source: string;
  licence: string;
  /** Folder under the models dir and under MODELS_MIRROR. */
  dir: string;
  files: PinnedFile[];
  imageModelId?: string;
  textModelId: string;
}

export const MODEL_PACKS: Readonly<Record<ModelPack["id"], ModelPack>> = {
  clip: {
    id: "clip",
    title: "CLIP ViT-B/32 (image + text towers, 512-d shared space, int8)",
    source: `${CLIP_REPO}@${CLIP_REVISION}`,
    licence: "MIT (OpenAI CLIP)",
    dir: CLIP_PACK_DIR,
    files: [MODELS[CLIP_IMAGE_MODEL_ID], TEXT_MODELS[CLIP_TEXT_MODEL_ID], CLIP_TOKENIZER_FILE],
    imageModelId: CLIP_IMAGE_MODEL_ID,
    textModelId: CLIP_TEXT_MODEL_ID,
  },
  minilm: {
    id: "minilm",
    title: "all-MiniLM-L6-v2 (384-d sentence embeddings, int8)",
    source: `${MINILM_REPO}@${MINILM_REVISION}`,
    licence: "Apache-2.0",
    dir: MINILM_PACK_DIR,
    files: [TEXT_MODELS[MINILM_TEXT_MODEL_ID], MINILM_VOCAB_FILE],
    textModelId: MINILM_TEXT_MODEL_ID,
  },
};

export function getModelPack(id: string): ModelPack {
  const pack = (MODEL_PACKS as Record<string, ModelPack>)[id];
  if (!pack) throw new Error(`Unknown model pack "${id}". Known: ${Object.keys(MODEL_PACKS).join(", ")}`);
  return pack;
}

/**
 * Whether a text model and an image model embed into one space (a pack with both towers: CLIP),
 * so a text query can be compared with image vectors directly.
 */
export function sharesEmbeddingSpace(textModelId: string, imageModelId: string): boolean {
  return Object.values(MODEL_PACKS).some((p) => p.textModelId === textModelId && p.imageModelId === imageModelId);
}
