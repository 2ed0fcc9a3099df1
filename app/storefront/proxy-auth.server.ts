/**
 * Authenticates an app proxy request (Shopify's `signature` over the query) and returns the shop
 * it was signed for. The signed `shop` parameter scopes every read that follows.
 *
 * The check is Shopify's app proxy HMAC (./proxy-signature.server.ts, the algorithm of
 * `authenticate.public.appProxy` / `api.utils.validateHmac`), without the offline-session lookup
 * `authenticate.public.appProxy` does on every request: the storefront API needs no Admin API
 * session, and whether the shop is installed comes from the live catalog (re-read at most once a
 * second per shop), so the hot path has no database round trip.
 */
import { config } from "../config.server";
import { ProxyError } from "./proxy-errors.server";
import { verifyAppProxySignature } from "./proxy-signature.server";

export interface ProxyContext {
  shop: string;
  /** The storefront path the merchant's proxy lives under (e.g. /apps/lookalike). */
  pathPrefix: string;
}

const SHOP_RE = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i;
const PREFIX_RE = /^\/[\w\-/]*$/;

/**
 * The parameters Shopify adds. Shopify signs a repeated parameter as its values joined by ","
 * (`shop=a,b`) while `params.get` reads the first, so a repeated one is refused outright.
 */
export const RESERVED_PROXY_PARAMS = ["shop", "timestamp", "path_prefix", "signature", "logged_in_customer_id"] as const;

export function authenticateProxyParams(params: URLSearchParams): ProxyContext {
  for (const name of RESERVED_PROXY_PARAMS) {
    if (params.getAll(name).length > 1) throw new ProxyError(401, "invalid_signature", `The app proxy parameter ${name} may appear only once.`);
  }
  if (!params.get("signature")) throw new ProxyError(401, "missing_signature", "This request must come through the shop's app proxy (no signature).");
  if (!verifyAppProxySignature(params, config().apiSecret)) {
    throw new ProxyError(401, "invalid_signature", "The app proxy signature is invalid or expired.");
  }
  const shop = params.get("shop") ?? "";
  if (!SHOP_RE.test(shop)) throw new ProxyError(401, "invalid_signature", "The app proxy signature is invalid or expired.");
  const pathPrefix = params.get("path_prefix") || "/apps/lookalike";
  return { shop, pathPrefix: PREFIX_RE.test(pathPrefix) ? pathPrefix.replace(/\/$/, "") : "/apps/lookalike" };
}

export async function authenticateProxy(request: Request): Promise<ProxyContext> {
  return authenticateProxyParams(new URL(request.url).searchParams);
}
