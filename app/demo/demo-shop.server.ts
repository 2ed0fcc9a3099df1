/** Demo: the demo shop and the offline session Shopify would have stored after install. */
import { DEMO_SHOP_NAME } from "./demo-shop-name";
import type { Db } from "../db.server";
import { ensureShop } from "../catalog/product-repository.server";

export async function ensureDemoShop(db: Db, shop: string, scopes: string[]): Promise<void> {
  await ensureShop(db, shop, { name: DEMO_SHOP_NAME });
  const id = `offline_${shop}`;
  const data = { shop, state: "demo", isOnline: false, scope: scopes.join(","), accessToken: "demo-offline-token" };
  await db.session.upsert({ where: { id }, create: { id, ...data }, update: data });
}
