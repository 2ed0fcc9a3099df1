/**
 * Ranked hits → the storefront's product cards (the JSON contract, app/live-index/product-card.ts):
 * each hit's card from the live catalog, its score rounded, a photo of an operator-imported product
 * served under the app proxy's path (`<pathPrefix>/images/<id>`). When the hit's photo (the photo
 * search's best photo; the featured photo, 0, otherwise) is a variant's own, the card shows that
 * variant — its photo, `?variant=` link, price and availability — chosen by variantForPhoto (with
 * the shop's "hide out of stock", never a sold-out one). Decision 0048.
 */
import { variantForPhoto } from "../catalog/product-variants";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import type { ScoredCard } from "../live-index/product-card";

export function toCards(catalog: Pick<LiveCatalog, "cards"> & Partial<Pick<LiveCatalog, "settings">>, hits: SearchHit[], pathPrefix: string): ScoredCard[] {
  const out: ScoredCard[] = [];
  const hideOutOfStock = catalog.settings?.hideOutOfStock === true;
  for (const hit of hits) {
    const card = catalog.cards.get(hit.id);
    if (!card) continue;
    const variant = card.variants === undefined ? null : variantForPhoto(card.variants, hit.photo ?? 0, hideOutOfStock);
    if (variant === null) {
      // Field by field (the JSON's order): an object rest + spread per card was a third of this function's time.
      out.push({
        id: card.id,
        handle: card.handle,
        title: card.title,
        price: card.price,
        currency: card.currency,
        image: card.localImage ? `${pathPrefix}/images/${card.id}` : card.image,
        url: card.url,
        variantId: null,
        available: card.available,
        score: Math.round(hit.score * 10_000) / 10_000,
      });
      continue;
    }
    const photo = variant.photo >= 0 ? variant.photo : 0;
    const local = card.photos?.[photo] === null;
    out.push({
      id: card.id,
      handle: card.handle,
      title: card.title,
      price: variant.price,
      currency: card.currency,
      image: local ? `${pathPrefix}/images/${card.id}${photo > 0 ? `?photo=${photo}` : ""}` : (card.photos?.[photo] ?? card.image),
      url: `${card.url}?variant=${variant.id}`,
      variantId: variant.id,
      available: variant.available,
      score: Math.round(hit.score * 10_000) / 10_000,
    });
  }
  return out;
}
