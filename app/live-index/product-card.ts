/** The product card the storefront renders: the JSON contract of the proxy routes. */
import { readStoredVariants, type ProductVariant } from "../catalog/product-variants";

export interface ProductCard {
  id: string;
  handle: string;
  title: string;
  price: string;
  currency: string;
  image: string | null;
  /** The product page; `…?variant=<variantId>` when the card shows a variant. */
  url: string;
  /** The variant the card shows (its photo, price and availability), or null: the product's own card. */
  variantId: string | null;
  available: boolean;
}

export interface ScoredCard extends ProductCard {
  score: number;
}

export interface CardSource {
  id: string;
  handle: string;
  title: string;
  priceText: string;
  currency: string;
  imageUrls: string;
  onlineStoreUrl: string | null;
  available: boolean;
  /** Product.variants (JSON); absent in rows read without it. */
  variants?: string;
}

/**
 * What the live index keeps per product beyond the card: `variants` and `photos` (each stored
 * photo's public URL, null for an operator-imported file) only when a variant has a photo of its
 * own — a catalog without variant photos costs nothing more.
 */
export type LiveCardFields = ProductCard & { localImage: boolean; variants?: ProductVariant[]; photos?: (string | null)[] };

/** The storefront-facing image: a public URL, or a path under the app proxy for operator-imported files. */
export function cardFromRow(row: CardSource): LiveCardFields {
  const urls = JSON.parse(row.imageUrls) as string[];
  const first = urls[0] ?? null;
  const local = first !== null && first.startsWith("file:");
  let url = `/products/${encodeURIComponent(row.handle)}`;
  if (row.onlineStoreUrl) {
    try {
      url = new URL(row.onlineStoreUrl).pathname;
    } catch {
      /* keep the handle path */
    }
  }
  const card: LiveCardFields = {
    id: row.id,
    handle: row.handle,
    title: row.title,
    price: row.priceText,
    currency: row.currency,
    image: local ? null : first,
    url,
    variantId: null,
    available: row.available,
    localImage: local,
  };
  const variants = readStoredVariants(row.variants).filter((v) => v.photo < urls.length);
  if (variants.some((v) => v.photo >= 0)) {
    card.variants = variants;
    card.photos = urls.map((u) => (u.startsWith("file:") ? null : u));
  }
  return card;
}
