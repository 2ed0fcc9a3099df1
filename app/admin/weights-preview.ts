/**
 * Live preview of channel weights: the candidates' per-channel similarities (cosines), re-ranked
 * in the browser as the merchant moves the sliders. Contributions from the index are w·cos for
 * the index's own weights, so cos = contribution / w.
 */
import { compileFilter, type ProductAttributes } from "../search/filters";
import { withSettings } from "../shops/settings-filter";
import type { ChannelWeightSettings, ShopSettings } from "../shops/shop-settings";

export interface ChannelCosines {
  image: number | null;
  color: number | null;
  text: number | null;
}

export function cosinesFrom(contributions: { image: number; color: number; text: number }, indexWeights: ChannelWeightSettings): ChannelCosines {
  const cos = (c: keyof ChannelCosines) => (indexWeights[c] > 0 ? Math.round((contributions[c] / indexWeights[c]) * 10_000) / 10_000 : null);
  return { image: cos("image"), color: cos("color"), text: cos("text") };
}

/** The blended score with the merchant's weights (normalised to sum 1, as the storefront does). */
export function blendedScore(cos: ChannelCosines, weights: ChannelWeightSettings): number {
  const sum = weights.image + weights.color + weights.text;
  if (sum <= 0) return 0;
  return ((cos.image ?? 0) * weights.image + (cos.color ?? 0) * weights.color + (cos.text ?? 0) * weights.text) / sum;
}

export function rerank<T extends { id: string; cos: ChannelCosines }>(candidates: T[], weights: ChannelWeightSettings, k: number): (T & { score: number })[] {
  return candidates
    .map((c) => ({ ...c, score: blendedScore(c.cos, weights) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

/**
 * The Settings page's preview with the form's settings as the storefront applies them: the
 * exclusions (product types, tags, out of stock, price band around the sample's price), the
 * weights, and the number of results.
 */
export function previewRanking<T extends { id: string; cos: ChannelCosines; attrs: ProductAttributes }>(
  candidates: T[],
  settings: ShopSettings,
  samplePrice: number | undefined,
): (T & { score: number })[] {
  const filter = withSettings({}, settings, samplePrice);
  if (!filter) return [];
  const pass = compileFilter(filter);
  return rerank(candidates.filter((c) => pass(c.attrs, c.id)), settings.weights, settings.resultsCount);
}
