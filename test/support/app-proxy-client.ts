/** Sends storefront requests to the app the way Shopify's app proxy forwards them: signed. */
import { signAppProxyQuery } from "../../app/demo/app-proxy-signature";
import { TEST_API_SECRET } from "../../scripts/lib/app-processes";

export function signedUrl(baseUrl: string, route: string, shop: string, params: Record<string, string> = {}, opts: { secret?: string; now?: number } = {}): string {
  const signed = signAppProxyQuery(new URLSearchParams(params), { shop, secret: opts.secret ?? TEST_API_SECRET, now: opts.now });
  return `${baseUrl}/proxy/${route}?${signed}`;
}
