/**
 * The one way to say "this shop's searchable catalog changed": bump Shop.catalogVersion in the
 * product repository (the source of truth every web process re-checks at most once a second),
 * then publish the new version on Redis (catalog-events.server.ts) so they apply it at once. A
 * publish that fails is dropped: the version re-check covers it. Callers: the catalog writer (import,
 * bulk sync), webhooks, the embed jobs (coalesced per shop), settings and the preview's rules.
 */
import type { RedisClient } from "../redis.server";
import type { Db } from "../db.server";
import { publishCatalogChange } from "./catalog-events.server";
import { bumpCatalogVersion } from "./product-repository.server";

export interface CatalogChangeDeps {
  db: Db;
  /** Null where no Redis is at hand (the version bump alone reaches every web process within a second). */
  publisher: Pick<RedisClient, "publish"> | null;
}

/** Bumps the shop's catalog version and publishes it; returns the new version. */
export async function catalogChanged(deps: CatalogChangeDeps, shop: string): Promise<number> {
  const version = await bumpCatalogVersion(deps.db, shop);
  if (deps.publisher) await publishCatalogChange(deps.publisher, shop, version).catch(() => {});
  return version;
}

/**
 * The shop's data is gone (shop/redact): there is no version left to bump, so the message says
 * version -1, and web processes drop the shop at their next look (its row is missing).
 */
export async function catalogGone(deps: Pick<CatalogChangeDeps, "publisher">, shop: string): Promise<void> {
  if (deps.publisher) await publishCatalogChange(deps.publisher, shop, -1).catch(() => {});
}
