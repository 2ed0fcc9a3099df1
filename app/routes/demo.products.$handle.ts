import type { LoaderFunctionArgs } from "@remix-run/node";
import { config } from "../config.server";
import { db } from "../db.server";
import { DEMO_SHOP_NAME } from "../demo/demo-shop-name";
import { requireDemo } from "../demo/demo-guard.server";
import { DEMO_MARKETS, MARKET_COOKIE, baseHandle, demoMarket, type DemoLanguage } from "../demo/demo-markets";
import { marketProduct } from "../demo/demo-storefront-api.server";
import { cardFromRow } from "../live-index/product-card";
import { renderProductPage } from "../storefront-preview/render-product-page.server";

/**
 * Demo: a storefront product page with the real theme blocks rendered from their Liquid, in the
 * shopper's market (`?country=`, kept in the `localization` cookie; the header's switch) and
 * language (`/fr/products/<handle>` as Shopify's locale prefix; `?locale=fr` without the prefix);
 * `?colours=1` turns on the similar block's "Also in other colours" row.
 */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  requireDemo();
  const cfg = config();
  const url = new URL(request.url);
  const prefixed = url.pathname.startsWith("/fr/");
  const language: DemoLanguage = prefixed || url.searchParams.get("locale") === "fr" ? "fr" : "en";
  const handle = baseHandle(params.handle ?? "", language);
  const row = await db().product.findFirst({ where: { shopDomain: cfg.demoShop, handle } });
  if (!row) throw new Response("No such product in the demo shop", { status: 404 });
  const card = cardFromRow(row);
  const market = demoMarket(url.searchParams.get("country"), request.headers.get("cookie"));
  const local = await marketProduct(row.id, market.country, language);
  const noBlocks = url.searchParams.get("blocks") === "none";
  // ?colours=1: the similar block with its "Also in other colours" row on, as a merchant sets it in the theme editor.
  const otherColours = url.searchParams.get("colours") === "1";
  const enPath = `/products/${encodeURIComponent(row.handle)}`;
  const html = await renderProductPage({
    shopName: DEMO_SHOP_NAME,
    product: {
      id: row.id,
      handle: row.handle,
      title: local?.title ?? row.title,
      // Without the market's own price (no Storefront API), the base price — in the base currency, never relabelled.
      price: local?.price ?? row.priceText,
      currency: local?.currency ?? row.currency,
      image: card.localImage ? `/apps/lookalike/images/${row.id}` : card.image,
      description: row.descriptionText,
    },
    proxyPath: "/apps/lookalike",
    assetBaseUrl: "/demo/assets",
    locale: language,
    rootUrl: prefixed ? "/fr" : "/",
    market: { country: market.country, currency: local?.currency ?? (market.country === DEMO_MARKETS[0].country ? row.currency : market.currency) },
    localization: {
      countries: DEMO_MARKETS.map((m) => ({ code: m.country, name: m.name })),
      languages: [
        { code: "en", name: "English", href: enPath },
        { code: "fr", name: "Français", href: `/fr${enPath}` },
      ],
    },
    blocks: noBlocks ? { similar: false, photoSearch: false, launcher: false } : undefined,
    blockSettings: otherColours ? { similar: { other_colours: true } } : undefined,
  });
  const headers = new Headers({ "Content-Type": "text/html; charset=utf-8" });
  if (url.searchParams.has("country")) headers.append("Set-Cookie", `${MARKET_COOKIE}=${market.country}; Path=/; SameSite=Lax`);
  return new Response(html, { headers });
};
