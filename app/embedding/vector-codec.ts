/** Small helpers for float32 vectors: normalisation, dot product, byte (de)serialisation. */

/** Returns a new L2-normalised copy. A zero vector stays zero (no NaN). */
export function l2normalize(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const out = new Float32Array(v.length);
  if (s <= 0 || !Number.isFinite(s)) return out;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot: length mismatch ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Little-endian float32 bytes (a fresh buffer, independent of the input). */
export function toBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(i * 4, v[i], true);
  return out;
}

/** Inverse of toBytes. Copies, so any byteOffset/alignment of the input is fine. */
export function fromBytes(b: Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new RangeError(`fromBytes: ${b.byteLength} bytes is not a multiple of 4`);
  const n = b.byteLength / 4;
  const out = new Float32Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

/** Several vectors of one dimension as one byte string (n × dim float32, little-endian). */
export function packVectors(vectors: Float32Array[]): Uint8Array {
  const dim = vectors[0]?.length ?? 0;
  const all = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new RangeError(`packVectors: vector ${i} has dimension ${v.length}, expected ${dim}`);
    all.set(v, i * dim);
  });
  return toBytes(all);
}

/** Inverse of packVectors for vectors of dimension `dim`. */
export function unpackVectors(bytes: Uint8Array, dim: number): Float32Array[] {
  if (!Number.isInteger(dim) || dim <= 0 || bytes.byteLength % (dim * 4) !== 0) {
    throw new RangeError(`unpackVectors: ${bytes.byteLength} bytes is not a whole number of ${dim}-d float32 vectors`);
  }
  const all = fromBytes(bytes);
  const out: Float32Array[] = [];
  for (let off = 0; off < all.length; off += dim) out.push(all.slice(off, off + dim));
  return out;
}
