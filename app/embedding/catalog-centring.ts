/**
 * Catalog-mean centring of the image channel for similar products: subtract the mean of the shop's
 * product image vectors and re-normalise. Features every product of a shop shares (studio
 * background, lighting, framing) then stop making everything look alike, and what differs between
 * products (the kind of product) weighs more. The statistic is the shop's own catalog, so nothing
 * is tuned to one dataset. The photo search does not use it (a shopper's photo does not share the
 * catalog's common component; docs/quality.md).
 */
import { l2normalize } from "./vector-codec";

export interface CatalogMean {
  mean: Float32Array;
  /** Products the mean was computed from. */
  count: number;
}

/** Fewer products than this: no centring (the mean of a handful of products is the products). */
export const MIN_PRODUCTS_FOR_CENTRING = 20;
/**
 * Re-compute the mean (and rebuild the index) when the product count moved by more than this
 * fraction. While a catalog is first imported this rebuilds at every +25% (amortised ≈ 5 builds);
 * the mean of 80% of a catalog is close to the whole catalog's.
 */
export const RECENTRE_DRIFT = 0.25;

/** Running sum of vectors (so a large catalog's mean is computed chunk by chunk). */
export class MeanAccumulator {
  private sum: Float64Array | undefined;
  private n = 0;

  add(v: ArrayLike<number>): void {
    this.sum ??= new Float64Array(v.length);
    if (v.length !== this.sum.length) throw new RangeError(`MeanAccumulator: dimension ${v.length} vs ${this.sum.length}`);
    for (let i = 0; i < v.length; i++) this.sum[i] += v[i];
    this.n++;
  }

  /** Plain (not re-normalised) mean; null when there are too few vectors to centre on. */
  result(): CatalogMean | null {
    if (!this.sum || this.n < MIN_PRODUCTS_FOR_CENTRING) return null;
    return { mean: Float32Array.from(this.sum, (x) => x / this.n), count: this.n };
  }
}

/** Plain (not re-normalised) mean of the vectors; null when there are too few to centre on. */
export function catalogMean(vectors: Float32Array[]): CatalogMean | null {
  const acc = new MeanAccumulator();
  for (const v of vectors) acc.add(v);
  return acc.result();
}

/** `v − mean`, L2-normalised (a copy). */
export function centre(v: Float32Array, mean: Float32Array): Float32Array {
  if (v.length !== mean.length) throw new RangeError(`centre: dimension ${v.length} vs mean ${mean.length}`);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] - mean[i];
  return l2normalize(out);
}

/** True when a mean computed over `meanCount` products no longer describes a catalog of `count`. */
export function meanIsStale(meanCount: number, count: number): boolean {
  if (meanCount === 0) return count >= MIN_PRODUCTS_FOR_CENTRING;
  return Math.abs(count - meanCount) > RECENTRE_DRIFT * meanCount;
}
