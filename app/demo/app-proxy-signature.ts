/**
 * Shopify's app proxy signature: the query parameters except `signature`, sorted by name, each as
 * `name=value` (repeated values joined with ","), concatenated without separators, HMAC-SHA256
 * with the app's secret, hex. Used by the demo's stand-in for Shopify's proxy and by tests;
 * verification in the app (`app/storefront/proxy-auth.server.ts`) checks the same HMAC, the algorithm of
 * Shopify's `authenticate.public.appProxy`, without its session lookup (docs/decisions/0033).
 */
import { createHmac } from "node:crypto";

export function appProxySignature(params: URLSearchParams, secret: string): string {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) if (k !== "signature") grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const message = [...grouped.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, vs]) => `${k}=${vs.join(",")}`)
    .join("");
  return createHmac("sha256", secret).update(message).digest("hex");
}

/** Adds the parameters Shopify adds when it forwards a storefront request, then signs. */
export function signAppProxyQuery(params: URLSearchParams, opts: { shop: string; secret: string; pathPrefix?: string; now?: number }): URLSearchParams {
  const out = new URLSearchParams(params);
  out.delete("signature");
  out.set("shop", opts.shop);
  out.set("path_prefix", opts.pathPrefix ?? "/apps/lookalike");
  out.set("timestamp", String(Math.floor((opts.now ?? Date.now()) / 1000)));
  out.set("logged_in_customer_id", "");
  out.set("signature", appProxySignature(out, opts.secret));
  return out;
}
