/**
 * Ranked hits → the storefront's product cards (the JSON contract, app/live-index/product-card.ts):
 * each hit's card from the live catalog, its score rounded, a photo of an operator-imported product
 * served under the app proxy's path (`<pathPrefix>/images/<id>`).
 */
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import type { ScoredCard } from "../live-index/product-card";

export function toCards(catalog: Pick<LiveCatalog, "cards">, hits: SearchHit[], pathPrefix: string): ScoredCard[] {
  const out: ScoredCard[] = [];
  for (const hit of hits) {
    const card = catalog.cards.get(hit.id);
    if (!card) continue;
    // Field by field (the JSON's order): an object rest + spread per card was a third of this function's time.
    out.push({
      id: card.id,
      handle: card.handle,
      title: card.title,
      price: card.price,
      currency: card.currency,
      image: card.localImage ? `${pathPrefix}/images/${card.id}` : card.image,
      url: card.url,
      score: Math.round(hit.score * 10_000) / 10_000,
    });
  }
  return out;
}
