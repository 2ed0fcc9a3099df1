/**
 * Similar products: the live path of `/proxy/similar` and of the admin preview. Merchant ranking
 * rules around the index search (pure functions of a LiveCatalog, no I/O):
 * per-shop settings as filters (hide out of stock, excluded product types/tags, price band),
 * per-product pins (first, in the merchant's order) and excludes (never shown), an in-stock
 * boost, and variant collapsing (at most one product per variant group, so the colours of one
 * product never fill the list).
 *
 * Candidates come from the product's stored neighbour list when it holds enough of them
 * (neighbour-lists.ts: no vector search), else from a search of the index. `rankSimilarStored`
 * answers only from the lists (null when a search is needed), so the storefront can charge rate
 * limits for searches alone.
 */
import { compileFilter, type ProductFilter } from "../search/filters";
import type { SearchHit } from "../search/shop-vector-index.server";
import { withSettings } from "../shops/settings-filter";
import type { LiveCard, LiveCatalog } from "../live-index/live-catalog";
import { ProductNotFound } from "./ranking-errors";

/** Added to the score of available products before the final ordering. */
export const IN_STOCK_BOOST = 0.03;
const MAX_CANDIDATES = 1_000;

/** Variant group: same vendor and the title before a variant suffix (" - Red", " / Large", " (Blue)", " | XL"). */
export function variantGroup(card: Pick<LiveCard, "title">, vendor = ""): string {
  const base = card.title.toLowerCase().split(/\s+[-–—|/]\s+|\s*\(/)[0].trim();
  return `${vendor.toLowerCase()}\u0000${base || card.title.toLowerCase()}`;
}

/**
 * A live card's variant group, worked out once per card (a regular expression over the title for
 * every candidate of every request was a tenth of a stored-list answer's time). Cards are replaced,
 * never changed, when a product changes, so the memo follows them.
 */
const groupOfCard = new WeakMap<LiveCard, string>();
function cardGroup(card: LiveCard, vendor: string): string {
  let g = groupOfCard.get(card);
  if (g === undefined) groupOfCard.set(card, (g = variantGroup(card, vendor)));
  return g;
}

/** The k best candidates passing the filter, or null when this source cannot tell. */
type Candidates = (k: number, filter: ProductFilter) => SearchHit[] | null;

/**
 * "Similar products" for `productId` after the merchant's rules: pins first, then the most
 * similar products (in-stock boost, one per variant group), never an excluded one, never the
 * product itself; `limit` results whenever that many exist. `score` is the ranking score
 * (blended similarity, plus IN_STOCK_BOOST for available products), so it never increases down
 * the list. Throws ProductNotFound when the product is not in the catalog's index.
 */
export function rankSimilar(catalog: LiveCatalog, productId: string, limit: number, requestFilter: ProductFilter): SearchHit[] {
  const { index } = catalog;
  return rank(catalog, productId, limit, requestFilter, (k, filter) => index.searchByProduct(productId, { k, filter, contributions: false, stored: true }))!;
}

/**
 * What rankSimilar answers, when the product's stored neighbour list can give it without a search
 * of the index; null when it cannot (filters or rules leave too few of the listed products, or the
 * list is not made yet). Throws ProductNotFound as rankSimilar does.
 */
export function rankSimilarStored(catalog: LiveCatalog, productId: string, limit: number, requestFilter: ProductFilter): SearchHit[] | null {
  const { index } = catalog;
  return rank(catalog, productId, limit, requestFilter, (k, filter) => index.storedNeighbours(productId, { k, filter }));
}

function rank(catalog: LiveCatalog, productId: string, limit: number, requestFilter: ProductFilter, candidates: Candidates): SearchHit[] | null {
  const { index } = catalog;
  const price = index.priceOf(productId);
  if (price === undefined) throw new ProductNotFound(productId);
  const filter = withSettings(requestFilter, catalog.settings, price);
  if (!filter) return [];
  const rules = catalog.rules.get(productId);

  const out: SearchHit[] = [];
  const groups = new Set<string>();
  const taken = new Set<string>([productId]);
  if (rules?.pins.length) {
    const pass = compileFilter(filter);
    for (const id of rules.pins) {
      if (out.length >= limit || taken.has(id) || rules.excludes.has(id)) continue;
      const attrs = index.attributes(id);
      const card = catalog.cards.get(id);
      if (!attrs || !card || !pass(attrs, id)) continue;
      taken.add(id);
      groups.add(variantGroup(card, attrs.vendor));
      out.push({ id, score: 1, contributions: { image: 0, color: 0, text: 0 } });
    }
  }
  const want = limit - out.length;
  if (want <= 0) return out;

  const excludeIds = [...(filter.excludeIds ?? []), ...(rules?.excludes ?? []), ...out.map((h) => h.id)];
  const searchFilter: ProductFilter = excludeIds.length ? { ...filter, excludeIds } : filter;
  // A few spare candidates for variant collapsing and the in-stock boost; more are fetched only when needed.
  let k = Math.min(MAX_CANDIDATES, want + Math.max(4, Math.ceil(want / 2)));
  for (;;) {
    const hits = candidates(k, searchFilter);
    if (!hits) return null;
    // The hits are this call's own objects: boosted in place.
    const boosted = hits;
    for (const h of boosted) if (index.isAvailable(h.id)) h.score += IN_STOCK_BOOST;
    boosted.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const picked: SearchHit[] = [];
    const seen = new Set(groups);
    for (const h of boosted) {
      const card = catalog.cards.get(h.id);
      if (!card) continue;
      const g = cardGroup(card, index.vendorOf(h.id));
      if (seen.has(g)) continue;
      seen.add(g);
      picked.push(h);
      if (picked.length >= want) break;
    }
    // Fewer than asked only when the index had nothing more to give (or the cap is reached).
    if (picked.length >= want || hits.length < k || k >= MAX_CANDIDATES) {
      // Scores are the ranking scores (similarity + in-stock boost), so the list stays best first;
      // pinned products carry the best score of the list.
      const top = Math.max(1, picked[0]?.score ?? 1);
      for (const p of out) p.score = top;
      return out.concat(picked);
    }
    k = Math.min(MAX_CANDIDATES, k * 4);
  }
}
