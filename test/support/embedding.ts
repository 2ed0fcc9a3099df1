/** Test helpers (used by *.test.ts only): locations of shared fixtures and image builders. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import type { ImageEmbedder } from "../../app/embedding/image/image-embedder.server";
import type { PreparedImage } from "../../app/embedding/image/image-preprocess.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec, MODELS, SOURCE_IMAGE_MODEL_ID } from "../../app/embedding/models/model-registry";
import { l2normalize } from "../../app/embedding/vector-codec";

/** The model mirror: MODELS_MIRROR, else ../shared/models relative to the repo root, if it has the source model. */
export function findModelMirror(): string | undefined {
  const candidates = [process.env.MODELS_MIRROR, path.resolve(process.cwd(), "../shared/models")].filter(
    (d): d is string => !!d,
  );
  return candidates.find((d) => existsSync(path.join(d, MODELS[SOURCE_IMAGE_MODEL_ID].fileName)));
}

/** The luma-dev dataset: LUMA_DEV_DIR, else ../shared/datasets/luma-dev, if present. */
export function findLumaDev(): string | undefined {
  const candidates = [process.env.LUMA_DEV_DIR, path.resolve(process.cwd(), "../shared/datasets/luma-dev")].filter(
    (d): d is string => !!d,
  );
  return candidates.find((d) => existsSync(path.join(d, "catalog.jsonl")));
}

export interface LumaLabel {
  productId: string;
  category: string;
  topCategory: string;
  indexedImages: string[];
  queryImage: string;
}

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A real decompression bomb: a valid 1-bit greyscale PNG of size x size
 * single-colour pixels (30000 -> 900 MP, ~110 kB compressed). Built by hand
 * because encoding it with sharp takes ~8 s; decoding it fully would need
 * gigabytes.
 */
export function pngBomb(size = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(size / 8);
  const raw = Buffer.alloc(rowBytes * size); // filter 0 + zero bits on every row
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Reads pixel (x, y) of a normalised CHW tensor back to 0..255 RGB. */
export function tensorPixel(
  t: Float32Array,
  x: number,
  y: number,
  mean: readonly number[],
  std: readonly number[],
  size = 224,
): [number, number, number] {
  const plane = size * size;
  const p = y * size + x;
  return [0, 1, 2].map((c) => Math.round((t[c * plane + p] * std[c] + mean[c]) * 255)) as [number, number, number];
}

/**
 * A stand-in image model for ranking tests: a view's vector is the mean of each channel of the
 * model's prepared input, less white's (the "contain" padding counts for nothing), normalised —
 * so a red crop and a red product match. `embed` counts the images it was given in `forwards.n`.
 */
export function meanColourVector(image: PreparedImage): Float32Array {
  const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
  const plane = image.tensor.length / 3;
  const out = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    const white = (1 - spec.mean[c]) / spec.std[c];
    let s = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) s += image.tensor[i] - white;
    out[c] = s / plane;
  }
  return l2normalize(out);
}

export function meanColourEmbedder(forwards = { n: 0 }): ImageEmbedder {
  return {
    modelId: "mean-colour-test",
    dim: 3,
    spec: getModelSpec(DEFAULT_IMAGE_MODEL_ID),
    embed: async (images: PreparedImage[]) => ((forwards.n += images.length), images.map(meanColourVector)),
    embedWithLocal: async (images: PreparedImage[]) => ((forwards.n += images.length), images.map((im) => ({ vector: meanColourVector(im) }))),
  } as unknown as ImageEmbedder;
}
