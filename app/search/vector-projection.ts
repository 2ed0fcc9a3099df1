/**
 * A linear projection learned from one shop's own vectors: the `outDim` directions that hold most
 * of their energy (the top right singular vectors of the sample matrix, uncentred, so inner
 * products — what the indexes rank by — are what is kept). Stored points and queries are both
 * projected, so a score is the inner product of the two vectors' parts inside the learned subspace:
 * exact for any vector inside it (a catalog smaller than `outDim` loses nothing), and close for the
 * rest where the catalog's energy is concentrated. Decision 0019 has the figures.
 *
 * Fitting is a randomized SVD (Halko, Martinsson & Tropp 2011, one power iteration): products of
 * the sample matrix with thin matrices, here in float64 a slice at a time (the event loop is handed
 * back between slices), and the small symmetric eigenproblems by ml-matrix.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { gaussian, seededRandom } from "../shared/seeded-random";

export interface Projection {
  inDim: number;
  outDim: number;
  /** Row-major outDim × inDim; orthonormal rows. */
  basis: Float32Array;
}

/** Extra random directions beyond outDim (the randomized SVD's oversampling). */
const OVERSAMPLE = 16;

/** `out[off + i] = scale · (basis_i · v)` for every output dimension. */
export function projectInto(p: Projection, v: ArrayLike<number>, out: number[] | Float32Array, off = 0, scale = 1): void {
  if (v.length !== p.inDim) throw new RangeError(`projection: vector of dimension ${v.length}, expected ${p.inDim}`);
  const { basis, inDim, outDim } = p;
  for (let r = 0; r < outDim; r++) {
    let s = 0;
    const row = r * inDim;
    for (let i = 0; i < inDim; i++) s += basis[row + i] * v[i];
    out[off + r] = Math.fround(scale * s);
  }
}

export interface FitOptions {
  seed?: number;
  /** Awaited between slices of work (hand the event loop back). */
  pause?: () => Promise<void>;
}

/**
 * The `outDim` directions holding most of the samples' energy. Null when there are no more samples
 * than `outDim` dimensions to keep, or `outDim` ≥ the input dimension: projecting would save nothing.
 */
export async function fitProjection(samples: readonly ArrayLike<number>[], outDim: number, opts: FitOptions = {}): Promise<Projection | null> {
  const s = samples.length;
  if (s === 0) return null;
  const d = samples[0].length;
  if (!Number.isInteger(outDim) || outDim < 1) throw new RangeError(`projection: outDim must be a positive integer (got ${outDim})`);
  if (outDim >= d || s <= outDim) return null;
  const pause = opts.pause ?? (async () => {});
  const X = new Float64Array(s * d);
  samples.forEach((v, i) => {
    if (v.length !== d) throw new RangeError(`projection: sample ${i} has dimension ${v.length}, expected ${d}`);
    for (let j = 0; j < d; j++) X[i * d + j] = v[j];
  });
  const l = Math.min(outDim + OVERSAMPLE, d, s);
  const rand = seededRandom(opts.seed ?? 1);
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = gaussian(rand);

  // Range of X (s × l), one power iteration: Y = X (Xᵀ (X Ω)), orthonormalised in between.
  let Y = await times(X, s, d, omega, l, pause);
  Y = orthonormalColumns(Y, s, l);
  const Z = await transposeTimes(X, s, d, Y, l, pause); // d × l
  Y = orthonormalColumns(await times(X, s, d, Z, l, pause), s, l);
  // B = Yᵀ X (l × d); its top right singular vectors are X's.
  const Bt = await transposeTimes(X, s, d, Y, l, pause); // d × l = Bᵀ
  const BBt = gram(Bt, d, l); // l × l = B Bᵀ
  const eig = new EigenvalueDecomposition(new Matrix(BBt), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const basis = new Float32Array(outDim * d);
  const u = new Float64Array(l);
  for (let r = 0; r < outDim; r++) {
    const k = order[r];
    const sigma = Math.sqrt(Math.max(values[k], 0));
    if (sigma === 0) continue; // rank below outDim: the row stays zero (adds nothing to a score)
    for (let c = 0; c < l; c++) u[c] = vectors.get(c, k);
    // v = Bᵀ u / σ
    for (let j = 0; j < d; j++) {
      let acc = 0;
      const o = j * l;
      for (let c = 0; c < l; c++) acc += Bt[o + c] * u[c];
      basis[r * d + j] = acc / sigma;
    }
    if (r % 16 === 15) await pause();
  }
  return { inDim: d, outDim, basis };
}

/** A (r × c) · B (c × l) → r × l, a few rows of A at a time. */
async function times(A: Float64Array, r: number, c: number, B: Float64Array, l: number, pause: () => Promise<void>): Promise<Float64Array> {
  const out = new Float64Array(r * l);
  for (let i = 0; i < r; i++) {
    if (i % 32 === 0) await pause();
    const o = i * l;
    for (let k = 0; k < c; k++) {
      const a = A[i * c + k];
      if (a === 0) continue;
      const b = k * l;
      for (let j = 0; j < l; j++) out[o + j] += a * B[b + j];
    }
  }
  return out;
}

/** Aᵀ (c × r) · B (r × l) → c × l, for A stored r × c. */
async function transposeTimes(A: Float64Array, r: number, c: number, B: Float64Array, l: number, pause: () => Promise<void>): Promise<Float64Array> {
  const out = new Float64Array(c * l);
  for (let i = 0; i < r; i++) {
    if (i % 32 === 0) await pause();
    const b = i * l;
    for (let k = 0; k < c; k++) {
      const a = A[i * c + k];
      if (a === 0) continue;
      const o = k * l;
      for (let j = 0; j < l; j++) out[o + j] += a * B[b + j];
    }
  }
  return out;
}

/** Mᵀ M (l × l) for M stored r × l. */
function gram(M: Float64Array, r: number, l: number): number[][] {
  const G = Array.from({ length: l }, () => new Array<number>(l).fill(0));
  for (let i = 0; i < r; i++) {
    const o = i * l;
    for (let a = 0; a < l; a++) {
      const x = M[o + a];
      if (x === 0) continue;
      const row = G[a];
      for (let b = a; b < l; b++) row[b] += x * M[o + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a][b] = G[b][a];
  return G;
}

/** Y (r × l) with orthonormal columns spanning Y's (through the eigenvectors of YᵀY; near-null directions dropped to zero). */
function orthonormalColumns(Y: Float64Array, r: number, l: number): Float64Array {
  const eig = new EigenvalueDecomposition(new Matrix(gram(Y, r, l)), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const V = eig.eigenvectorMatrix;
  const top = Math.max(...values);
  // W = V Λ^{-1/2}, so Y W has orthonormal columns.
  const W = new Float64Array(l * l);
  for (let k = 0; k < l; k++) {
    const lam = values[k];
    if (!(lam > top * 1e-12)) continue;
    const inv = 1 / Math.sqrt(lam);
    for (let a = 0; a < l; a++) W[a * l + k] = V.get(a, k) * inv;
  }
  const out = new Float64Array(r * l);
  for (let i = 0; i < r; i++) {
    const o = i * l;
    for (let a = 0; a < l; a++) {
      const y = Y[o + a];
      if (y === 0) continue;
      const w = a * l;
      for (let k = 0; k < l; k++) out[o + k] += y * W[w + k];
    }
  }
  return out;
}
