/**
 * "Also in other colours" (issue 24, decision 49): products that share the source product's shape
 * and kind but not its colour — for shops that list each colour as its own product. A row of the
 * similar block, answered by `/proxy/similar?…&colours=n` beside the similar products.
 *
 * The index holds no shape-only vector: the image channel is the sum of the photo's colour view and
 * luminance (grey) view embeddings (onnx-pooled-features.server.ts), so it is half colour-blind;
 * the colour channel is the foreground's colour signature (a Bhattacharyya coefficient when two
 * are dotted). The rule, from what the index holds (pure function of a LiveCatalog, no I/O):
 *   - kind: the same product type (when the product has one), after the shop's settings and the
 *     request's filter, never a product the merchant excluded for this one;
 *   - shape: the nearest products by image channel alone (centred cosine ≥ `minImage`);
 *   - other colour: colour-channel similarity ≤ `maxColour` (a same-colour look-alike is left out);
 *   - one card per colour: a candidate whose colour is as close to an already picked one's is left
 *     out (two listings of the same black hoodie are one colour);
 *   ordered by image similarity. The thresholds were measured on a per-colour catalog built from
 * luma-dev (scripts/measure-other-colours.ts, docs/quality.md).
 */
import type { ProductFilter } from "../search/filters";
import type { SearchHit } from "../search/shop-vector-index.server";
import { withSettings } from "../shops/settings-filter";
import type { LiveCatalog } from "../live-index/live-catalog";
import { ProductNotFound } from "./ranking-errors";

export interface OtherColoursRule {
  /** Least image-channel cosine (centred vectors) for "the same shape". */
  minImage: number;
  /** Most colour-channel similarity (Bhattacharyya coefficient, 0–1) for "another colour". */
  maxColour: number;
  /** Candidates read from the index by image similarity before the colour rule. */
  candidates: number;
}

/** Measured on luma-dev's per-colour catalog (decision 49). */
export const OTHER_COLOURS_RULE: Readonly<OtherColoursRule> = Object.freeze({ minImage: 0.7, maxColour: 0.95, candidates: 24 });

/** Most cards the row answers (the `colours` parameter's bound). */
export const MAX_OTHER_COLOURS = 12;

const hasSignal = (v: Float32Array) => v.some((x) => x !== 0);
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * Up to `limit` products of the same kind and shape as `productId` in other colours, best first.
 * `score` is the image-channel cosine; `contributions` the weighted image and colour dots. [] when
 * the product has no image or colour vector (or the shop weights a channel 0: the index then holds
 * no such vector), or when the settings and the filter leave nothing. Throws ProductNotFound when
 * the product is not in the catalog's index.
 */
export function rankOtherColours(
  catalog: LiveCatalog,
  productId: string,
  limit: number,
  requestFilter: ProductFilter,
  rule: OtherColoursRule = OTHER_COLOURS_RULE,
): SearchHit[] {
  const { index } = catalog;
  const price = index.priceOf(productId);
  if (price === undefined) throw new ProductNotFound(productId);
  if (limit <= 0) return [];
  const settingsFilter = withSettings(requestFilter, catalog.settings, price);
  // The colour channel is never stored projected: its segment is the colour signature itself.
  const source = index.channelVectors(productId);
  if (!settingsFilter || !source?.image || !source.color || !hasSignal(source.color)) return [];

  const filter: ProductFilter = { ...settingsFilter };
  const kind = index.attributes(productId)?.productType.trim() ?? "";
  if (kind) {
    const asked = filter.productTypes;
    if (asked?.length && !asked.some((t) => t.trim().toLowerCase() === kind.toLowerCase())) return [];
    filter.productTypes = [kind];
  }
  filter.excludeIds = [...(filter.excludeIds ?? []), ...(catalog.rules.get(productId)?.excludes ?? []), productId];

  const { image: wImage, color: wColour } = index.weights;
  // The product's own image segment as stored (a shop's learned projection included, decision 19).
  const near = index.searchByProductChannel(productId, "image", { k: Math.min(rule.candidates, index.size), filter });
  const shaped = near.filter((h) => h.id !== productId && h.score / wImage >= rule.minImage && catalog.cards.has(h.id));
  if (!shaped.length) return [];
  const colours = new Map(index.scoreProducts({ color: source.color }, shaped.map((h) => h.id)).map((h) => [h.id, h.score]));

  const out: SearchHit[] = [];
  const picked: Float32Array[] = [];
  for (const h of shaped) {
    if (out.length >= limit) break;
    const colour = (colours.get(h.id) ?? Infinity) / wColour;
    if (!(colour <= rule.maxColour)) continue;
    const own = index.channelVectors(h.id)?.color;
    // No colour signature (zeros): its colour is unknown, so it cannot be called another one.
    if (!own || !hasSignal(own) || picked.some((c) => dot(c, own) > rule.maxColour)) continue;
    picked.push(own);
    out.push({ id: h.id, score: h.score / wImage, contributions: { image: h.score, color: colour * wColour, text: 0 } });
  }
  return out;
}
