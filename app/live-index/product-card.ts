/** The product card the storefront renders: the JSON contract of the proxy routes. */
export interface ProductCard {
  id: string;
  handle: string;
  title: string;
  price: string;
  currency: string;
  image: string | null;
  url: string;
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
}

/** The storefront-facing image: a public URL, or a path under the app proxy for operator-imported files. */
export function cardFromRow(row: CardSource): ProductCard & { localImage: boolean } {
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
  return {
    id: row.id,
    handle: row.handle,
    title: row.title,
    price: row.priceText,
    currency: row.currency,
    image: local ? null : first,
    url,
    localImage: local,
  };
}
