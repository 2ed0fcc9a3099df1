/**
 * Waits until no product of a shop is pending embedding (every product searchable or failed).
 * With `models`, a product embedded with other models (an image model change, the colour fallback
 * before the real model) is still waiting: it becomes searchable once re-embedded with these.
 */
import type { Db } from "../db.server";
import type { VectorModels } from "../embedding/vector-versions";
import { catalogCounts, type CatalogCounts } from "./product-repository.server";

export class CatalogWaitTimeout extends Error {}

export async function waitForCatalog(
  db: Db,
  shop: string,
  opts: { timeoutMs: number; intervalMs?: number; models?: VectorModels; onProgress?: (counts: CatalogCounts) => void },
): Promise<CatalogCounts> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const counts = await catalogCounts(db, shop, opts.models);
    opts.onProgress?.(counts);
    if (counts.pending === 0) return counts;
    if (Date.now() > deadline) {
      throw new CatalogWaitTimeout(
        `${counts.pending} of ${counts.products} products still pending after ${Math.round(opts.timeoutMs / 1000)} s — is a worker running (npm run worker)?`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 300));
  }
}
