/** Product rows as the admin shows them: title, price, a thumbnail the admin page can load. */
import { signAppProxyQuery } from "../demo/app-proxy-signature";

export interface AdminProduct {
  id: string;
  title: string;
  handle: string;
  productType: string;
  price: string;
  currency: string;
  image: string | null;
}

export interface ProductRowLike {
  id: string;
  title: string;
  handle: string;
  productType?: string;
  priceText: string;
  currency: string;
  imageUrls: string;
  source: string;
}

export const PRODUCT_VIEW_SELECT = { id: true, title: true, handle: true, productType: true, priceText: true, currency: true, imageUrls: true, source: true } as const;

/**
 * The first photo: Shopify CDN URLs as they are; an operator-imported local file through this
 * app's own image route, signed the way the app proxy signs (short-lived, for this product only).
 */
export function thumbnailUrl(row: Pick<ProductRowLike, "id" | "imageUrls" | "source">, shop: string, secret: string, now = Date.now()): string | null {
  let first: string | undefined;
  try {
    first = (JSON.parse(row.imageUrls) as string[])[0];
  } catch {
    return null;
  }
  if (!first) return null;
  if (/^https?:\/\//i.test(first)) return first;
  if (row.source === "import" && first.startsWith("file:")) {
    return `/proxy/images/${encodeURIComponent(row.id)}?${signAppProxyQuery(new URLSearchParams(), { shop, secret, now })}`;
  }
  return null;
}

export function toAdminProduct(row: ProductRowLike, shop: string, secret: string): AdminProduct {
  return {
    id: row.id,
    title: row.title,
    handle: row.handle,
    productType: row.productType ?? "",
    price: row.priceText,
    currency: row.currency,
    image: thumbnailUrl(row, shop, secret),
  };
}
