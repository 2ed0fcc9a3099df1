/**
 * Deterministic synthetic catalogue for tests and benchmarks: clustered,
 * L2-normalised channel vectors plus attributes with controllable selectivity.
 */
import { gaussian, seededRandom } from "../../app/shared/seeded-random";
import type { ChannelDims, ChannelVectors } from "../../app/search/combined-vector";
import type { ProductAttributes } from "../../app/search/filters";

/** Deterministic PRNG (mulberry32). */
export const rng = seededRandom;

export { gaussian };

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

export interface SyntheticProduct {
  id: string;
  vectors: ChannelVectors;
  attrs: ProductAttributes;
}

export interface SyntheticOptions {
  n: number;
  dims: ChannelDims;
  clusters?: number;
  /** noise relative to the cluster centre (per channel, before normalising) */
  noise?: number;
  seed?: number;
  /** fraction of products without a text vector */
  missingTextFraction?: number;
}

/**
 * Products get `bucket` tags so filters of known selectivity are easy:
 * tag `p1` on 1%, `p10` on 10%, `p50` on 50% of products (independent of cluster).
 * Price is uniform in [0, 100); productType cycles over 5 types; vendor over 7.
 */
export function syntheticCatalog(opts: SyntheticOptions): SyntheticProduct[] {
  return Array.from(syntheticProducts(opts));
}

/** The same products as `syntheticCatalog`, one at a time (for catalogs too big to hold twice). */
export function* syntheticProducts(opts: SyntheticOptions): Generator<SyntheticProduct> {
  const rand = rng(opts.seed ?? 42);
  const clusters = opts.clusters ?? 50;
  const noise = opts.noise ?? 0.6;
  const channels = (["image", "color", "text"] as const).filter((c) => opts.dims[c] > 0);
  const centres = channels.map((c) =>
    Array.from({ length: clusters }, () => {
      const v = new Float32Array(opts.dims[c]);
      for (let i = 0; i < v.length; i++) v[i] = gaussian(rand);
      return normalize(v);
    }),
  );
  for (let p = 0; p < opts.n; p++) {
    const cl = Math.floor(rand() * clusters);
    const vectors: ChannelVectors = {};
    channels.forEach((c, ci) => {
      if (c === "text" && rand() < (opts.missingTextFraction ?? 0)) return;
      const d = opts.dims[c];
      const v = new Float32Array(d);
      const centre = centres[ci][cl];
      const sigma = noise / Math.sqrt(d);
      for (let i = 0; i < d; i++) v[i] = centre[i] + sigma * gaussian(rand);
      vectors[c] = normalize(v);
    });
    const r = rand();
    const tags: string[] = [];
    if (r < 0.01) tags.push("p1");
    if (r < 0.1) tags.push("p10");
    if (r < 0.5) tags.push("p50");
    tags.push(`c${cl}`);
    yield {
      id: `gid://shopify/Product/${100000 + p}`,
      vectors,
      attrs: {
        price: Math.round(rand() * 10000) / 100,
        available: rand() < 0.8,
        productType: ["Bags", "Watches", "Shoes", "Hats", "Belts"][p % 5],
        vendor: `Vendor ${p % 7}`,
        tags,
      },
    };
  }
}

/** Query vectors near a random cluster centre (perturbed copy of a product). */
export function syntheticQuery(base: ChannelVectors, seed: number, noise = 0.5): ChannelVectors {
  const rand = rng(seed);
  const out: ChannelVectors = {};
  for (const c of ["image", "color", "text"] as const) {
    const v = base[c];
    if (!v) continue;
    const q = new Float32Array(v.length);
    const sigma = noise / Math.sqrt(v.length);
    for (let i = 0; i < v.length; i++) q[i] = v[i] + sigma * gaussian(rand);
    out[c] = normalize(q);
  }
  return out;
}
