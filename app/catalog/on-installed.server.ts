/** What happens when a shop installs (or re-installs) the app: record it and start a full sync. */
import { startFullSync, type BulkSyncDeps } from "./bulk-sync.server";
import { ensureShop } from "./product-repository.server";

export async function onInstalled(deps: Pick<BulkSyncDeps, "db" | "syncQueue">, shop: string): Promise<string> {
  await ensureShop(deps.db, shop);
  return startFullSync(deps, shop);
}
