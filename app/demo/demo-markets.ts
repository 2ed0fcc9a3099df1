/**
 * The demo storefront's markets and languages (those of the local Storefront API fake,
 * test/fake-shopify/fake-storefront-api.ts): what its market switch offers, and how a shopper's
 * choice is read. A country or language the demo shop does not have falls back to the default one.
 */
export interface DemoMarket {
  country: string;
  currency: string;
  name: string;
}

export const DEMO_MARKETS: DemoMarket[] = [
  { country: "US", currency: "USD", name: "United States (USD $)" },
  { country: "FR", currency: "EUR", name: "France (EUR €)" },
];

export type DemoLanguage = "en" | "fr";

/** The cookie Shopify's storefront keeps the shopper's country in. */
export const MARKET_COOKIE = "localization";

/** The market for a `country` query parameter, else the cookie's, else the default (US). */
export function demoMarket(param: string | null, cookieHeader: string | null): DemoMarket {
  const fromCookie = cookieHeader?.match(new RegExp(`(?:^|;\\s*)${MARKET_COOKIE}=([A-Za-z]{2})(?:;|$)`))?.[1] ?? null;
  const wanted = (param ?? fromCookie ?? "").toUpperCase();
  return DEMO_MARKETS.find((m) => m.country === wanted) ?? DEMO_MARKETS[0];
}

/**
 * The product handle a French URL carries (`/fr/products/<handle>`): the fake's French handles are
 * the base handle with `fr-` before it, as a translated handle would differ from the base one.
 */
export function baseHandle(handle: string, language: DemoLanguage): string {
  return language === "fr" && handle.startsWith("fr-") ? handle.slice(3) : handle;
}
