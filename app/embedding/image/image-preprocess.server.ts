/**
 * Untrusted image bytes -> model tensor + colour signature, with one decode.
 *
 * Pipeline (sharp): sniff format (refuse markup / non-raster), check byte and
 * pixel limits from the header, then decode the first frame once: EXIF
 * orientation, alpha flattened on white, any colour space / bit depth -> 8-bit
 * sRGB. The decode keeps the photo's own size when it is at most 2x WORK_SIZE
 * (a resample to the working size costs about as much as the JPEG decode, and
 * the fit below resamples anyway: one Lanczos-3 resample instead of two);
 * larger photos are shrunk to WORK_SIZE on load (JPEG shrink-on-load does most
 * of it). From that raw buffer:
 *  - one look at its pixels (image-analysis.ts): the border background,
 *    estimated once, then the trim box and the colour signature;
 *  - the model input, normalised to CHW with the model's mean/std:
 *    - "contain-white" (MobileNetV2, the default): after trimming a uniform
 *      studio background, an aspect-preserving fit (sharp "inside") placed
 *      centred on white while normalising — byte for byte what sharp's
 *      "contain" on a white 224x224 canvas gives, without its canvas pass;
 *    - "cover-centre" (CLIP): shortest side resized to 224 (bicubic), centre
 *      crop 224x224, as CLIP was trained; a shrunk working copy keeps its
 *      shortest side >= 384 so the crop is never upscaled from a thumbnail.
 *      (For a photo shrunk on decode, two resizes: Lanczos-3 to the working
 *      copy, then Catmull-Rom bicubic to 224 — close to, not bit-identical
 *      with, PIL's single bicubic resize; smaller photos get the one bicubic.)
 *  Normalisation is one table look-up per byte (tables computed with the same
 *  formula, so the values are unchanged).
 *
 * All failures are ImageInputError; raw sharp errors never escape.
 */
import sharp from "sharp";
import { ImageInputError } from "./image-errors";
import { analysePhoto } from "./image-analysis";
import { UNIFORM_BORDER, type Box } from "./image-background";
import { cropRgb, isWholePhoto, toFractionBox, toPixelBox, WHOLE_PHOTO, withinBox, type FractionBox } from "./photo-region";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec, type ModelSpec } from "../models/model-registry";

export interface PreparedImage {
  /** CHW float32, 3x224x224, fitted and normalised as the model expects (PrepareImageOptions.model). */
  tensor: Float32Array;
  /** Colour signature of the foreground, length COLOR_DIM, L2-normalised. */
  color: Float32Array;
}

export interface PrepareImageOptions {
  /** Default 10 MB. */
  maxBytes?: number;
  /** Default 40 megapixels. */
  maxPixels?: number;
  /** The model the tensor is for (its fit, mean and std). Default: the default image model. */
  model?: ModelSpec;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 40_000_000;
/**
 * Longest side (shortest for "cover-centre") a large photo is shrunk to on decode; photos up to
 * twice this are decoded at their own size.
 */
const WORK_SIZE = 384;
const INPUT_SIZE = 224;
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

const HEIC_MESSAGE = "HEIC photos cannot be read here. Please upload a JPEG, PNG, WebP or AVIF photo (on an iPhone: Settings › Camera › Formats › Most Compatible).";

/** Raster formats we accept, as reported by sharp metadata. (AVIF reports "heif".) */
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp", "gif", "tiff", "heif", "avif"]);

const defaultSpec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);

function looksLikeMarkup(input: Buffer): boolean {
  // Skip a UTF-8 BOM and leading whitespace; SVG, HTML and XML all start with '<'.
  let i = 0;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) i = 3;
  while (i < input.length && i < 1024 && (input[i] === 0x20 || input[i] === 0x09 || input[i] === 0x0a || input[i] === 0x0d)) i++;
  return input[i] === 0x3c; // '<'
}

function mapSharpError(e: unknown): ImageInputError {
  const msg = String((e as Error)?.message ?? e);
  if (/pixel limit/i.test(msg)) return new ImageInputError("too_many_pixels");
  if (/unsupported image format/i.test(msg)) return new ImageInputError("unsupported_format");
  return new ImageInputError("corrupt");
}

/** A decoded photo: packed 8-bit sRGB, EXIF-oriented, alpha on white. */
export interface DecodedPhoto {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export async function prepareImage(input: Buffer, opts: PrepareImageOptions = {}): Promise<PreparedImage> {
  const spec = opts.model ?? defaultSpec;
  const photo = await decodePhoto(input, opts);
  return prepareFromRgb(photo.rgb, photo.width, photo.height, spec);
}

/** Checks and the single decode (stage 1 of prepareImage; exported for the profile script). */
export async function decodePhoto(input: Buffer, opts: PrepareImageOptions = {}): Promise<DecodedPhoto> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!input || input.length === 0) throw new ImageInputError("empty");
  if (input.length > maxBytes) {
    throw new ImageInputError("too_large", `The image file is too large (max ${Math.round(maxBytes / 1048576)} MB).`);
  }
  if (looksLikeMarkup(input)) throw new ImageInputError("unsupported_format");

  const open = () =>
    sharp(input, { failOn: "error", limitInputPixels: maxPixels, pages: 1, animated: false, sequentialRead: true });

  let meta: sharp.Metadata;
  try {
    meta = await open().metadata();
  } catch (e) {
    throw mapSharpError(e);
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) throw new ImageInputError("unsupported_format");
  // HEIC (HEIF with HEVC, what iPhones save) is a well-formed photo sharp's libvips cannot decode
  // (no HEVC decoder is built in, for patent reasons): say so instead of calling it damaged.
  if (meta.format === "heif" && meta.compression === "hevc") throw new ImageInputError("unsupported_format", HEIC_MESSAGE);
  const w = meta.width ?? 0;
  const h = meta.pageHeight && meta.pages && meta.pages > 1 ? meta.pageHeight : (meta.height ?? 0);
  if (w <= 0 || h <= 0) throw new ImageInputError("corrupt");
  if (w * h > maxPixels) {
    throw new ImageInputError(
      "too_many_pixels",
      `The image has too many pixels (${w}x${h}; max ${Math.round(maxPixels / 1e6)} megapixels).`,
    );
  }

  const cover = (opts.model ?? defaultSpec).fit === "cover-centre";
  let data: Buffer;
  let info: sharp.OutputInfo;
  try {
    let decode = open().rotate().flatten({ background: WHITE });
    if ((cover ? Math.min(w, h) : Math.max(w, h)) > 2 * WORK_SIZE) {
      decode = decode.resize(WORK_SIZE, WORK_SIZE, { fit: cover ? "outside" : "inside", withoutEnlargement: true });
    }
    ({ data, info } = await decode
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw mapSharpError(e);
  }
  return { rgb: toRgb(data, info.width, info.height, info.channels), width: info.width, height: info.height };
}

/** Everything after the decode, on packed 8-bit RGB. Exposed for tests / benchmarks. */
export async function prepareFromRgb(
  rgb: Uint8Array,
  width: number,
  height: number,
  spec: ModelSpec = defaultSpec,
): Promise<PreparedImage> {
  const { box, color } = analysePhoto(rgb, width, height);
  const fitted = await fitToInput({ rgb, width, height }, box, spec);
  return { tensor: toNormalisedChw(fitted.rgb, fitted.width, fitted.height, spec), color };
}

/** A region of a decoded photo, prepared (prepareRegion). */
export interface PreparedRegion {
  image: PreparedImage;
  /** The region searched, as fractions of the whole (oriented) photo. */
  region: FractionBox;
  /** The region's border is a uniform backdrop (the foreground analysis is confident). */
  uniformBorder: boolean;
  /** The foreground trim the model's view was cut to, as fractions of the whole photo (null: none). */
  trim: FractionBox | null;
}

/**
 * The region `region` (fractions of the photo; default the whole photo) of a decoded photo,
 * cropped from its oriented pixels and then prepared exactly as a whole photo is (foreground
 * analysis, trim, fit, normalisation).
 */
export async function prepareRegion(photo: DecodedPhoto, spec: ModelSpec = defaultSpec, region: FractionBox = WHOLE_PHOTO): Promise<PreparedRegion> {
  const whole = isWholePhoto(region);
  const pixels = whole ? photo : cropRgb(photo, toPixelBox(region, photo.width, photo.height));
  const analysis = analysePhoto(pixels.rgb, pixels.width, pixels.height);
  const fitted = await fitToInput(pixels, analysis.box, spec);
  const image = { tensor: toNormalisedChw(fitted.rgb, fitted.width, fitted.height, spec), color: analysis.color };
  const used = whole ? WHOLE_PHOTO : region;
  const trim = analysis.box && spec.fit !== "cover-centre" ? withinBox(used, toFractionBox(analysis.box, pixels.width, pixels.height)) : null;
  return { image, region: used, uniformBorder: analysis.background.uniformity >= UNIFORM_BORDER, trim };
}

/**
 * The model's view, before normalisation: for "contain-white" the trimmed photo resized to fit
 * INPUT_SIZE square (not yet on its white canvas: toNormalisedChw places it); for
 * "cover-centre" the INPUT_SIZE square centre crop.
 */
export async function fitToInput(photo: DecodedPhoto, box: Box | null, spec: ModelSpec = defaultSpec): Promise<DecodedPhoto> {
  let pipeline = sharp(photo.rgb, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  if (spec.fit === "cover-centre") {
    pipeline = pipeline.resize(INPUT_SIZE, INPUT_SIZE, { fit: "cover", position: "centre", kernel: "cubic" });
  } else {
    if (box) pipeline = pipeline.extract(box);
    pipeline = pipeline.resize(INPUT_SIZE, INPUT_SIZE, { fit: "inside" });
  }
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw mapSharpError(e);
  }
  const { data, info } = out;
  if (info.channels !== 3 || info.width > INPUT_SIZE || info.height > INPUT_SIZE) throw new ImageInputError("corrupt");
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function toRgb(data: Buffer, width: number, height: number, channels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    if (channels < 3) {
      const v = data[p * channels];
      out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = v;
    } else {
      out[p * 3] = data[p * channels];
      out[p * 3 + 1] = data[p * channels + 1];
      out[p * 3 + 2] = data[p * channels + 2];
    }
  }
  return out;
}

/** Per-channel lookup tables byte -> (byte / 255 - mean) / std, per model (mean and std are fixed). */
const normTables = new WeakMap<ModelSpec, Float32Array[]>();

function normTable(spec: ModelSpec): Float32Array[] {
  let t = normTables.get(spec);
  if (!t) {
    t = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - spec.mean[c]) / spec.std[c]));
    normTables.set(spec, t);
  }
  return t;
}

/**
 * Packed RGB of width x height (at most INPUT_SIZE square) -> normalised CHW INPUT_SIZE x
 * INPUT_SIZE, the picture centred on white (sharp's "contain" position: offset floor(gap / 2)).
 */
export function toNormalisedChw(rgb: Uint8Array, width: number, height: number, spec: ModelSpec): Float32Array {
  const S = INPUT_SIZE;
  const plane = S * S;
  const out = new Float32Array(3 * plane);
  const [t0, t1, t2] = normTable(spec);
  if (width < S || height < S) {
    out.fill(t0[255], 0, plane);
    out.fill(t1[255], plane, 2 * plane);
    out.fill(t2[255], 2 * plane, 3 * plane);
  }
  const left = (S - width) >> 1;
  const top = (S - height) >> 1;
  for (let y = 0, i = 0; y < height; y++) {
    let p = (top + y) * S + left;
    for (let x = 0; x < width; x++, p++, i += 3) {
      out[p] = t0[rgb[i]];
      out[plane + p] = t1[rgb[i + 1]];
      out[2 * plane + p] = t2[rgb[i + 2]];
    }
  }
  return out;
}
