/** What happens when a shop installs (or re-installs) the app: record it and start a full sync. */
import { db } from "../db.server";
import { webServices } from "../web-services.server";
import { startFullSync } from "./bulk-sync.server";
import { ensureShop } from "./product-repository.server";

export async function onInstalled(shop: string): Promise<string> {
  await ensureShop(db(), shop);
  return startFullSync({ db: db(), syncQueue: webServices().syncQueue }, shop);
}
