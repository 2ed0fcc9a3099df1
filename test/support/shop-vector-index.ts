/** Helpers of the ShopVectorIndex tests (app/search/*index*.test.ts): a small layout, brute force, recall. */
import { blendedScore, type ChannelVectors } from "../../app/search/combined-vector";
import { matchesFilter, type ProductFilter } from "../../app/search/filters";
import { ShopVectorIndex, type SearchHit } from "../../app/search/shop-vector-index.server";
import type { SyntheticProduct } from "../../scripts/lib/synthetic-catalog";

export const dims = { image: 48, color: 12, text: 24 };
export const weights = { image: 0.6, color: 0.25, text: 0.15 };

export function bruteForce(
  products: SyntheticProduct[],
  q: ChannelVectors,
  k: number,
  filter?: ProductFilter,
  excludeId?: string,
): { id: string; score: number }[] {
  return products
    .filter((p) => p.id !== excludeId && (!filter || matchesFilter(p.attrs, filter, p.id)))
    .map((p) => ({ id: p.id, score: blendedScore(weights, q, p.vectors) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

export function recall(hits: SearchHit[], exact: { id: string }[]): number {
  if (!exact.length) return 1;
  const got = new Set(hits.map((h) => h.id));
  return exact.filter((e) => got.has(e.id)).length / exact.length;
}

export function build(products: SyntheticProduct[], extra: Partial<ConstructorParameters<typeof ShopVectorIndex>[0]> = {}) {
  const idx = new ShopVectorIndex({ dims, weights, M: 16, efConstruction: 200, initialCapacity: 1024, ...extra });
  for (const p of products) idx.upsert(p.id, p.vectors, p.attrs);
  return idx;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
