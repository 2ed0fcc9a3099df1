import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { gaussian, seededRandom } from "../shared/seeded-random";
import { fitProjection, projectInto, type Projection } from "./vector-projection";

function project(p: Projection, v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(p.outDim);
  projectInto(p, v, out);
  return out;
}

/** Share of the samples' energy (Σ‖v‖²) the projection keeps. */
function keptEnergy(p: Projection, samples: readonly ArrayLike<number>[]): number {
  let total = 0;
  let kept = 0;
  for (const v of samples) {
    for (let i = 0; i < v.length; i++) total += v[i] * v[i];
    for (const x of project(p, v)) kept += x * x;
  }
  return total === 0 ? 1 : kept / total;
}

/** n unit vectors of dimension d lying in a random subspace of dimension `rank` (plus `noise`). */
function lowRank(n: number, d: number, rank: number, noise: number, seed = 3): Float32Array[] {
  const rand = seededRandom(seed);
  const dirs = Array.from({ length: rank }, () => Float32Array.from({ length: d }, () => gaussian(rand)));
  return Array.from({ length: n }, () => {
    const v = new Float32Array(d);
    dirs.forEach((u, k) => {
      const c = gaussian(rand) / (1 + k * 0.3);
      for (let i = 0; i < d; i++) v[i] += c * u[i];
    });
    for (let i = 0; i < d; i++) v[i] += noise * gaussian(rand);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe("fitProjection", () => {
  it("keeps every inner product of vectors inside a subspace smaller than the output, queries included", async () => {
    const vectors = lowRank(300, 200, 20, 0);
    const p = (await fitProjection(vectors, 32))!;
    expect(p.outDim).toBe(32);
    // A query inside the same subspace (another draw) scores every product as before.
    const [query] = lowRank(1, 200, 20, 0, 3);
    for (const v of vectors.slice(0, 50)) {
      expect(dot(project(p, query), project(p, v))).toBeCloseTo(dot(query, v), 4);
      expect(dot(project(p, v), project(p, vectors[7]))).toBeCloseTo(dot(v, vectors[7]), 4);
    }
  });

  it("has orthonormal rows", async () => {
    const p = (await fitProjection(lowRank(200, 120, 60, 0.05), 24))!;
    for (let a = 0; a < 24; a++)
      for (let b = 0; b < 24; b++) {
        const x = dot(p.basis.subarray(a * 120, (a + 1) * 120), p.basis.subarray(b * 120, (b + 1) * 120));
        expect(x).toBeCloseTo(a === b ? 1 : 0, 4);
      }
  });

  it("keeps nearly as much energy as the exact truncated SVD", async () => {
    const vectors = lowRank(400, 150, 80, 0.05, 9);
    const p = (await fitProjection(vectors, 20))!;
    const svd = new SingularValueDecomposition(new Matrix(vectors.map((v) => Array.from(v))), { autoTranspose: true });
    const sq = svd.diagonal.map((x) => x * x);
    const best = sq.slice(0, 20).reduce((a, b) => a + b, 0) / sq.reduce((a, b) => a + b, 0);
    expect(keptEnergy(p, vectors)).toBeGreaterThan(best * 0.97);
    expect(keptEnergy(p, vectors)).toBeLessThanOrEqual(best + 1e-6);
  });

  it("declines when projecting would save nothing", async () => {
    expect(await fitProjection(lowRank(50, 100, 10, 0), 64)).toBeNull(); // fewer samples than outDim
    expect(await fitProjection(lowRank(300, 40, 10, 0), 64)).toBeNull(); // outDim ≥ input
    expect(await fitProjection([], 8)).toBeNull();
  });
});
