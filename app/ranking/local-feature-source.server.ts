/**
 * Reads products' stored regional descriptors (Product.localFeatures) for the photo search's local
 * re-rank: one indexed query for the handful of head products, scoped to the shop. A database
 * error leaves the ranking global (logged once a minute), never fails the shopper's search.
 */
import type { Db } from "../db.server";
import { unpackLocal } from "../embedding/image/local-features";
import { errorSummary } from "../shared/error-text";
import type { LocalFeatureSource } from "./photo.server";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("ranking");

let lastWarnedAt = 0;

export function localFeatureSource(db: Db, shop: string): LocalFeatureSource {
  return async (productIds) => {
    const out = new Map<string, Int8Array[]>();
    if (productIds.length === 0) return out;
    try {
      const rows = await db.product.findMany({
        where: { shopDomain: shop, id: { in: productIds } },
        select: { id: true, localFeatures: true },
      });
      for (const row of rows) if (row.localFeatures) out.set(row.id, unpackLocal(row.localFeatures));
    } catch (err) {
      if (Date.now() - lastWarnedAt > 60_000) {
        lastWarnedAt = Date.now();
        log.error(`local re-rank skipped (${errorSummary(err)})`);
      }
    }
    return out;
  };
}
