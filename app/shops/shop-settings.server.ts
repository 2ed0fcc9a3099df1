/**
 * Loads and saves a shop's settings (Shop.settings JSON). A save is validated, written, then made
 * visible to every web process at once: Shop.catalogVersion is bumped and the change published,
 * so the next storefront request applies it.
 */
import type { Db } from "../db.server";
import { catalogChanged } from "../catalog/catalog-changed.server";
import { parseStoredSettings, validateSettings, type SettingsErrors, type ShopSettings } from "./shop-settings";
import type { RedisClient } from "../redis.server";

export async function loadShopSettings(db: Db, shop: string): Promise<ShopSettings> {
  const row = await db.shop.findUnique({ where: { domain: shop }, select: { settings: true } });
  return parseStoredSettings(row?.settings);
}

export type SaveSettingsResult = { ok: true; settings: ShopSettings; version: number } | { ok: false; errors: SettingsErrors };

export async function saveShopSettings(db: Db, publisher: Pick<RedisClient, "publish"> | null, shop: string, input: unknown): Promise<SaveSettingsResult> {
  const { settings, errors } = validateSettings(input);
  if (Object.keys(errors).length) return { ok: false, errors };
  const stored = JSON.stringify(settings);
  await db.shop.upsert({ where: { domain: shop }, create: { domain: shop, settings: stored }, update: { settings: stored } });
  // The version bump alone reaches every web process within its 1 s re-check; the message makes it immediate.
  const version = await catalogChanged({ db, publisher }, shop);
  return { ok: true, settings, version };
}
