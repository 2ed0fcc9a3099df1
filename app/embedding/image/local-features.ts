/**
 * Regional ("local") descriptors of a photo, for re-ranking the photo search's head: the model's
 * "local" output (onnx-pooled-features.server.ts) is a 7×7 grid of 96-d mid-level features of the
 * colour view — patterns, seams, prints, logos — where the global embedding keeps only the gist.
 * Two photos of the same product match region by region even when the shopper cropped, rotated,
 * darkened or recompressed theirs; two similar products of the same cut do not.
 *
 * Stored form: one Int8Array of REGIONS × CHANNELS per photo, region-major, each region
 * L2-normalised and scaled to ±127 (4.7 KB a photo); an all-zero region (nothing active) is kept
 * as zeros and ignored by the match.
 * Match (Chamfer similarity): the mean, over the query's non-empty regions, of the best cosine with
 * any region of the catalog photo — in [0, 1] for these non-negative (post-ReLU) features.
 */
export const CHANNELS = 96;
export const REGIONS = 49;
export const LOCAL_BYTES = CHANNELS * REGIONS;
const SCALE = 127;

/** The model's output for one image (CHANNELS × REGIONS, channel-major) → stored form. */
export function encodeLocal(output: ArrayLike<number>): Int8Array {
  if (output.length !== LOCAL_BYTES) throw new RangeError(`local output has ${output.length} values, expected ${LOCAL_BYTES}`);
  const out = new Int8Array(LOCAL_BYTES);
  for (let r = 0; r < REGIONS; r++) {
    let s = 0;
    for (let c = 0; c < CHANNELS; c++) {
      const x = output[c * REGIONS + r];
      s += x * x;
    }
    if (!(s > 0) || !Number.isFinite(s)) continue;
    const k = SCALE / Math.sqrt(s);
    for (let c = 0; c < CHANNELS; c++) out[r * CHANNELS + c] = Math.round(output[c * REGIONS + r] * k);
  }
  return out;
}

/** Chamfer similarity of a query photo's regions to a catalog photo's regions (see module comment). */
export function localMatch(query: Int8Array, photo: Int8Array): number {
  let sum = 0;
  let n = 0;
  for (let a = 0; a < LOCAL_BYTES; a += CHANNELS) {
    let empty = true;
    for (let c = 0; c < CHANNELS; c++) if (query[a + c] !== 0) { empty = false; break; }
    if (empty) continue;
    let best = 0;
    for (let b = 0; b < LOCAL_BYTES; b += CHANNELS) {
      let d = 0;
      for (let c = 0; c < CHANNELS; c++) d += query[a + c] * photo[b + c];
      if (d > best) best = d;
    }
    sum += best;
    n++;
  }
  return n === 0 ? 0 : sum / n / (SCALE * SCALE);
}

/** Several photos' descriptors in one blob (what Product.localFeatures stores). */
export function packLocal(photos: Int8Array[]): Uint8Array {
  const out = new Uint8Array(photos.length * LOCAL_BYTES);
  photos.forEach((p, i) => out.set(new Uint8Array(p.buffer, p.byteOffset, LOCAL_BYTES), i * LOCAL_BYTES));
  return out;
}

export function unpackLocal(bytes: Uint8Array): Int8Array[] {
  if (bytes.length % LOCAL_BYTES !== 0) throw new RangeError(`local features blob of ${bytes.length} bytes is not a multiple of ${LOCAL_BYTES}`);
  const out: Int8Array[] = [];
  for (let o = 0; o < bytes.length; o += LOCAL_BYTES) out.push(new Int8Array(bytes.buffer, bytes.byteOffset + o, LOCAL_BYTES));
  return out;
}
