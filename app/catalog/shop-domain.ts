/** Shop identity: every read and write is scoped by a validated myshopify domain. */
export class ShopDomainError extends Error {}

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$/;

export function normalizeShopDomain(input: string): string {
  const s = input.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const domain = s.includes(".") ? s : `${s}.myshopify.com`;
  if (!SHOP_DOMAIN.test(domain)) throw new ShopDomainError(`"${input}" is not a shop domain like my-shop.myshopify.com`);
  return domain;
}

/** True for an exact, already-normal shop domain (what Shopify sends in X-Shopify-Shop-Domain). */
export function isShopDomain(value: string): boolean {
  return SHOP_DOMAIN.test(value);
}
