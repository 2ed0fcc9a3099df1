import type { LoaderFunctionArgs } from "@remix-run/node";
import { config } from "../config.server";
import { db } from "../db.server";
import { DEMO_SHOP_NAME } from "../demo/demo-shop-name";
import { requireDemo } from "../demo/demo-guard.server";
import { cardFromRow } from "../live-index/product-card";
import { renderProductPage } from "../storefront-preview/render-product-page.server";

/** Demo: a storefront product page with the real theme blocks rendered from their Liquid. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  requireDemo();
  const cfg = config();
  const url = new URL(request.url);
  const row = await db().product.findFirst({ where: { shopDomain: cfg.demoShop, handle: params.handle ?? "" } });
  if (!row) throw new Response("No such product in the demo shop", { status: 404 });
  const card = cardFromRow(row);
  const noBlocks = url.searchParams.get("blocks") === "none";
  const html = await renderProductPage({
    shopName: DEMO_SHOP_NAME,
    product: {
      id: row.id,
      handle: row.handle,
      title: row.title,
      price: row.priceText,
      currency: row.currency,
      image: card.localImage ? `/apps/lookalike/images/${row.id}` : card.image,
      description: row.descriptionText,
    },
    proxyPath: "/apps/lookalike",
    assetBaseUrl: "/demo/assets",
    locale: url.searchParams.get("locale") === "fr" ? "fr" : "en",
    blocks: noBlocks ? { similar: false, photoSearch: false, launcher: false } : undefined,
  });
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
};
