import { DEMO_SHOP_NAME } from "../demo/demo-shop-name";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { config } from "../config.server";
import { db } from "../db.server";
import { requireDemo } from "../demo/demo-guard.server";
import { cardFromRow } from "../live-index/product-card";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Demo: the demo shop's catalog, each product linking to its storefront page. */
export const loader = async (_args: LoaderFunctionArgs) => {
  requireDemo();
  const shop = config().demoShop;
  const rows = await db().product.findMany({ where: { shopDomain: shop }, orderBy: { title: "asc" }, take: 500 });
  const items = rows
    .map((r) => {
      const c = cardFromRow(r);
      const img = c.localImage ? `/apps/lookalike/images/${r.id}` : c.image ?? "";
      return `<li><a href="/demo/products/${encodeURIComponent(r.handle)}"><img src="${esc(img)}" alt="" loading="lazy" width="200" height="250"><span>${esc(r.title)}</span><small>${esc(r.priceText)} ${esc(r.currency)} · ${esc(r.embedState)}</small></a></li>`;
    })
    .join("");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(DEMO_SHOP_NAME)}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}header{padding:20px 32px;border-bottom:1px solid #eee;display:flex;justify-content:space-between;align-items:center}main{padding:24px 32px}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:24px}a{color:inherit;text-decoration:none}img{width:100%;height:auto;aspect-ratio:4/5;object-fit:contain;background:#f6f6f6;border-radius:8px}span{display:block;margin-top:8px}small{color:#666}</style></head>
<body><header><strong>${esc(DEMO_SHOP_NAME)}</strong><nav><a href="/demo/admin">Admin →</a></nav></header><main><p>${rows.length} products in ${esc(shop)}. Open any product to see similar products and search by photo.</p><ul>${items}</ul></main></body></html>`;
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
};
