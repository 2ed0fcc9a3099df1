/**
 * Layout of the combined per-product vector used by the shop index:
 *   combined = concat(√w_image·v_image, √w_color·v_color, √w_text·v_text)
 * with a missing channel stored as zeros. For two combined vectors a and b,
 *   a·b = Σ_c w_c (v_c·u_c)   (the blended score)
 * and the dot of segment c alone is that channel's contribution.
 * A channel may be stored projected (a shop's learned projection, vector-projection.ts): its
 * segment is then √w·P·v, and a·b is the blended score of the vectors' parts inside P's subspace.
 */

import { projectInto, type Projection } from "./vector-projection";

export const CHANNELS = ["image", "color", "text"] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelDims {
  image: number;
  color: number;
  text: number;
}

export interface ChannelWeights {
  image: number;
  color: number;
  text: number;
}

export interface ChannelVectors {
  image?: Float32Array;
  color?: Float32Array;
  text?: Float32Array;
}

export interface Contributions {
  image: number;
  color: number;
  text: number;
}

/** Per-channel learned projections (vector-projection.ts): that channel is stored projected. */
export type ChannelProjections = Partial<Record<"image" | "text", Projection>>;

export interface Layout {
  /** Stored dimension of each channel's segment (a projected channel's output dimension). */
  dims: ChannelDims;
  /** Dimension of each channel's vectors as given (the models'). */
  inputDims: ChannelDims;
  projections: ChannelProjections;
  weights: ChannelWeights;
  /** start offset of each channel's segment */
  offsets: [number, number, number];
  /** √w per channel */
  scales: [number, number, number];
  total: number;
}

/** `dims` are the channels' input dimensions; a channel with a projection is stored at its output dimension. */
export function makeLayout(inputDims: ChannelDims, weights: ChannelWeights, projections: ChannelProjections = {}): Layout {
  const dims = { ...inputDims };
  for (const c of ["image", "text"] as const) {
    const p = projections[c];
    if (!p) continue;
    if (p.inDim !== inputDims[c]) throw new RangeError(`${c} projection takes dimension ${p.inDim}, the channel has ${inputDims[c]}`);
    dims[c] = p.outDim;
  }
  for (const c of CHANNELS) {
    const d = dims[c];
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`dims.${c} must be a non-negative integer (got ${d})`);
    const w = weights[c];
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights.${c} must be a finite number ≥ 0 (got ${w})`);
  }
  const total = dims.image + dims.color + dims.text;
  if (total === 0) throw new RangeError("at least one channel must have a non-zero dimension");
  return {
    dims,
    inputDims: { ...inputDims },
    projections: { ...projections },
    weights: { ...weights },
    offsets: [0, dims.image, dims.image + dims.color],
    scales: [Math.sqrt(weights.image), Math.sqrt(weights.color), Math.sqrt(weights.text)],
    total,
  };
}

/**
 * Builds the combined vector as a plain number[] (hnswlib-node only accepts
 * JS Arrays). Values are rounded to float32 so they equal what the index stores.
 * Throws RangeError on wrong dimensions or non-finite values.
 */
export function combine(layout: Layout, vectors: ChannelVectors): number[] {
  const out = new Array<number>(layout.total).fill(0);
  CHANNELS.forEach((c, ci) => {
    const v = vectors[c];
    if (!v) return;
    const d = layout.inputDims[c];
    if (v.length !== d) throw new RangeError(`${c} vector has dimension ${v.length}, expected ${d}`);
    const s = layout.scales[ci];
    const off = layout.offsets[ci];
    const p = c === "color" ? undefined : layout.projections[c];
    for (let i = 0; i < d; i++) {
      const x = v[i];
      if (!Number.isFinite(x)) throw new RangeError(`${c} vector has a non-finite value at ${i}`);
      if (!p) out[off + i] = Math.fround(s * x);
    }
    if (p) projectInto(p, v, out, off, s);
  });
  return out;
}

/** Per-channel dot products of two combined vectors (float64 accumulation). */
export function segmentDots(layout: Layout, a: ArrayLike<number>, b: ArrayLike<number>): Contributions {
  const r = [0, 0, 0];
  for (let ci = 0; ci < 3; ci++) {
    const off = layout.offsets[ci];
    const end = off + layout.dims[CHANNELS[ci]];
    let s = 0;
    for (let i = off; i < end; i++) s += a[i] * b[i];
    r[ci] = s;
  }
  return { image: r[0], color: r[1], text: r[2] };
}

/** Reference blended score computed from raw channel vectors (for tests/bench). */
export function blendedScore(weights: ChannelWeights, a: ChannelVectors, b: ChannelVectors): number {
  let s = 0;
  for (const c of CHANNELS) {
    const x = a[c];
    const y = b[c];
    if (!x || !y) continue;
    let d = 0;
    for (let i = 0; i < x.length; i++) d += x[i] * y[i];
    s += weights[c] * d;
  }
  return s;
}
