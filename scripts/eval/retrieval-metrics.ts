/**
 * Retrieval quality metrics, exactly as defined in ../shared/datasets/README.md (pure functions,
 * used by scripts/evaluate.ts and the offline tuning harness).
 *
 * - Photo search: same-product recall@1 / @10 (the pictured product ranked first / in the top 10),
 *   and leaf-category precision@R among the *other* products returned (the pictured product is
 *   removed from the list first), R = min(10, other products in that leaf category).
 * - Similar products: leaf-category precision@R of the recommendations, and top-category
 *   precision@10.
 */
export interface ProductLabel {
  productId: string;
  category: string;
  topCategory: string;
}

export interface LabelIndex {
  byId: Map<string, ProductLabel>;
  /** leaf category → number of products in it */
  leafCount: Map<string, number>;
}

export function labelIndex(labels: ProductLabel[]): LabelIndex {
  const byId = new Map<string, ProductLabel>();
  const leafCount = new Map<string, number>();
  for (const l of labels) {
    byId.set(l.productId, l);
    leafCount.set(l.category, (leafCount.get(l.category) ?? 0) + 1);
  }
  return { byId, leafCount };
}

/** R for a product: min(10, other products in its leaf category). */
export function precisionDepth(idx: LabelIndex, productId: string): number {
  const l = idx.byId.get(productId);
  if (!l) throw new Error(`no label for ${productId}`);
  return Math.min(10, (idx.leafCount.get(l.category) ?? 1) - 1);
}

/** Fraction of the first `depth` of `ranked` (unknown ids count as misses) matching `pred`; null when depth is 0. */
function precisionAt(ranked: string[], depth: number, pred: (l: ProductLabel | undefined) => boolean, idx: LabelIndex): number | null {
  if (depth <= 0) return null;
  let hit = 0;
  for (const id of ranked.slice(0, depth)) if (pred(idx.byId.get(id))) hit++;
  return hit / depth;
}

export interface PhotoQueryResult {
  recallAt1: number;
  recallAt10: number;
  leafPrecisionAtR: number | null;
}

export function scorePhotoQuery(idx: LabelIndex, productId: string, ranked: string[]): PhotoQueryResult {
  const own = idx.byId.get(productId);
  if (!own) throw new Error(`no label for ${productId}`);
  const others = ranked.filter((id) => id !== productId);
  return {
    recallAt1: ranked[0] === productId ? 1 : 0,
    recallAt10: ranked.slice(0, 10).includes(productId) ? 1 : 0,
    leafPrecisionAtR: precisionAt(others, precisionDepth(idx, productId), (l) => l?.category === own.category, idx),
  };
}

export interface SimilarQueryResult {
  leafPrecisionAtR: number | null;
  topPrecisionAt10: number;
}

export function scoreSimilarQuery(idx: LabelIndex, productId: string, ranked: string[]): SimilarQueryResult {
  const own = idx.byId.get(productId);
  if (!own) throw new Error(`no label for ${productId}`);
  const others = ranked.filter((id) => id !== productId);
  return {
    leafPrecisionAtR: precisionAt(others, precisionDepth(idx, productId), (l) => l?.category === own.category, idx),
    topPrecisionAt10: precisionAt(others, 10, (l) => l?.topCategory === own.topCategory, idx) ?? 0,
  };
}

/** Mean of the non-null values, rounded to 3 decimals (NaN when there are none). */
export function mean(values: (number | null)[]): number {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return Number.NaN;
  return Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000;
}

export interface PhotoMetrics {
  queries: number;
  recallAt1: number;
  recallAt10: number;
  leafPrecisionAtR: number;
}

export function summarisePhoto(results: PhotoQueryResult[]): PhotoMetrics {
  return {
    queries: results.length,
    recallAt1: mean(results.map((r) => r.recallAt1)),
    recallAt10: mean(results.map((r) => r.recallAt10)),
    leafPrecisionAtR: mean(results.map((r) => r.leafPrecisionAtR)),
  };
}

export interface SimilarMetrics {
  products: number;
  leafPrecisionAtR: number;
  topPrecisionAt10: number;
}

export function summariseSimilar(results: SimilarQueryResult[]): SimilarMetrics {
  return {
    products: results.length,
    leafPrecisionAtR: mean(results.map((r) => r.leafPrecisionAtR)),
    topPrecisionAt10: mean(results.map((r) => r.topPrecisionAt10)),
  };
}
