/**
 * The shop-level state a live catalog reads from the database besides its products: the catalog
 * version, install state and settings (Shop row), and the merchant's pins and excludes
 * (ProductRule rows), reloaded on every catalog version change.
 */
import type { Db } from "../db.server";
import { rulesFromRows, type ShopRules } from "./product-rules";

export interface ShopRow {
  catalogVersion: number;
  settings: string;
  uninstalledAt: Date | null;
}

/** The shop's version, settings and install state; null for an unknown (or redacted) shop. */
export function readShopRow(db: Db, shop: string): Promise<ShopRow | null> {
  return db.shop.findUnique({ where: { domain: shop }, select: { catalogVersion: true, settings: true, uninstalledAt: true } });
}

/** Just the version and install state (the once-a-second check). */
export function readShopVersion(db: Db, shop: string): Promise<Pick<ShopRow, "catalogVersion" | "uninstalledAt"> | null> {
  return db.shop.findUnique({ where: { domain: shop }, select: { catalogVersion: true, uninstalledAt: true } });
}

/** Whether the shop still has its row; true when the database cannot say (keep the files). */
export async function shopExists(db: Db, shop: string): Promise<boolean> {
  try {
    return (await db.shop.findUnique({ where: { domain: shop }, select: { domain: true } })) !== null;
  } catch {
    return true;
  }
}

/** The merchant's pins and excludes, in the order they were made. */
export async function loadShopRules(db: Db, shop: string): Promise<ShopRules> {
  return rulesFromRows(
    await db.productRule.findMany({ where: { shopDomain: shop }, select: { productId: true, targetId: true, kind: true }, orderBy: { createdAt: "asc" } }),
  );
}
