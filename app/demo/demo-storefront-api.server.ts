/**
 * Demo only: the demo storefront's Storefront API. Shopify serves it on the shop's own domain
 * (`/api/<version>/graphql.json`), which is where the theme blocks ask for market data; the demo
 * forwards that path to DEMO_STOREFRONT_API_URL (the local fake, test/fake-shopify), and asks it
 * for the product page's own title and price in the shopper's market.
 */
import { config } from "../config.server";
import { requireDemo } from "./demo-guard.server";

const TIMEOUT_MS = 5_000;
const MAX_BODY_BYTES = 64 * 1024;

const notThere = (status: number, message: string) => new Response(JSON.stringify({ errors: [{ message }] }), { status, headers: { "Content-Type": "application/json" } });

/** POST /api/<version>/graphql.json on the demo storefront → the configured Storefront API. */
export async function forwardStorefrontApi(request: Request): Promise<Response> {
  requireDemo();
  const api = config().demoStorefrontApi;
  if (!api) return notThere(404, "this demo has no Storefront API (set DEMO_STOREFRONT_API_URL)");
  if (request.method !== "POST") return notThere(405, "POST only");
  const body = await request.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return notThere(413, "query too large");
  try {
    const r = await fetch(api, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return new Response(await r.arrayBuffer(), { status: r.status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
  } catch {
    return notThere(502, "the Storefront API could not be reached");
  }
}

export interface MarketProduct {
  title: string;
  price: string;
  currency: string;
}

/** The product as a shopper in `country` reading `language` sees it, or null (no API, not there, unreachable). */
export async function marketProduct(id: string, country: string, language: string): Promise<MarketProduct | null> {
  const api = config().demoStorefrontApi;
  if (!api) return null;
  const query =
    "query P($ids:[ID!]!,$c:CountryCode!,$l:LanguageCode!)@inContext(country:$c,language:$l){nodes(ids:$ids){...on Product{id title priceRange{minVariantPrice{amount currencyCode}}}}}";
  const variables = { ids: [`gid://shopify/Product/${id.split("/").pop()}`], c: country.toUpperCase(), l: language.toUpperCase() };
  try {
    const r = await fetch(api, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const j = (await r.json()) as { data?: { nodes?: ({ title?: string; priceRange?: { minVariantPrice?: { amount?: string; currencyCode?: string } } } | null)[] } };
    const n = j.data?.nodes?.[0];
    const money = n?.priceRange?.minVariantPrice;
    if (!n?.title || !money?.amount || !money.currencyCode) return null;
    return { title: n.title, price: money.amount, currency: money.currencyCode };
  } catch {
    return null;
  }
}
