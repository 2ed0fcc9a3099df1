/**
 * The text channel of the combined (similar-products) index: a product's own text vector, and
 * beside it the shop's facet values it carries (tag-facets.ts), in one segment:
 *
 *   [ √(1−β)·text (the text model's dim) | √β·facets (FACET_DIM, hashed facet values, unit length) ]
 *
 * so the segment's inner product is (1−β)·cos(text) + β·cos(facet values), β = FACET_SHARE: two
 * products that share the merchant's taxonomy ("Men", "Tees") match through it whatever the
 * product text says, and colour or promotion tags no longer weigh as much as a department. Works
 * with any text model (the facet part is ours, not the model's). A product without text has no
 * text channel; one without facet values has a zero facet part.
 *
 * Facet values are weighted by how much of the catalog they cover (share^α, α =
 * FACET_VALUE_EXPONENT): a merchant's taxonomy is a tree, and its coarse branches (departments:
 * few values, each on much of the shop) are the ones a shopper holds fixed — a men's jacket's
 * neighbours are men's products before women's jackets — while the fine ones (kinds: many values,
 * each on a little of it) order the products inside a branch. With equal weights a shared kind
 * counted as much as a shared department. α and β were chosen by a sweep on luma-dev
 * (docs/quality.md, "Facet weights"): the pair that kept both similar-products targets with the
 * widest margin.
 * A text query (`/proxy/search?q=`) has no facets: textQueryVector scales it so the score is
 * exactly cos(text), as before facets existed.
 */
import { tagKey, type TagFacets } from "./tag-facets";

export const FACET_DIM = 64;
/** β: the facet values' share of the text channel (the rest is the product's own words). */
export const FACET_SHARE = 0.75;
/**
 * α: a facet value's weight in the facet part is its share of the catalog to this power, so a
 * shared department ("Men", a third of the shop) counts for more than a shared kind ("Jackets",
 * a tenth) and a shared leaf (both) most. See the module comment.
 */
export const FACET_VALUE_EXPONENT = 0.35;

export function textChannelDim(textDim: number): number {
  return textDim + FACET_DIM;
}

/** A facet value's weight: its share of the catalog to the power α. */
export function facetValueWeight(facets: TagFacets, ordinal: number): number {
  return Math.pow(facets.shares[ordinal] ?? 0, FACET_VALUE_EXPONENT);
}

/**
 * Unit vector of the facet values among `tags`: one slot per value (its ordinal; a shop with more
 * than FACET_DIM values shares slots, which only adds overlap), each at its weight
 * (facetValueWeight); zero when there are none.
 */
export function facetVector(facets: TagFacets, tags: readonly string[]): Float32Array {
  const out = new Float32Array(FACET_DIM);
  for (const tag of tags) {
    const slot = facets.values.get(tagKey(tag));
    if (slot !== undefined) out[slot % FACET_DIM] = Math.max(out[slot % FACET_DIM], facetValueWeight(facets, slot));
  }
  let s = 0;
  for (const x of out) s += x * x;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < FACET_DIM; i++) out[i] *= inv;
  }
  return out;
}

/** The product's text-channel segment, or undefined when it has no text vector. */
export function textChannelVector(text: Float32Array | undefined, facets: TagFacets, tags: readonly string[]): Float32Array | undefined {
  if (!text) return undefined;
  const out = new Float32Array(text.length + FACET_DIM);
  const a = Math.sqrt(1 - FACET_SHARE);
  for (let i = 0; i < text.length; i++) out[i] = a * text[i];
  const f = facetVector(facets, tags);
  const b = Math.sqrt(FACET_SHARE);
  for (let i = 0; i < FACET_DIM; i++) out[text.length + i] = b * f[i];
  return out;
}

/** A text query against the text channel: its inner product with a product's segment is cos(query, text). */
export function textQueryVector(text: Float32Array): Float32Array {
  const out = new Float32Array(text.length + FACET_DIM);
  const a = 1 / Math.sqrt(1 - FACET_SHARE);
  for (let i = 0; i < text.length; i++) out[i] = a * text[i];
  return out;
}
