/** Home / onboarding: sync progress, index health, model, and the next step for the merchant. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import type { AdminDeps } from "./admin-deps.server";
import { within } from "./admin-deps.server";
import { loadCatalogStatus, type CatalogStatus } from "./catalog-status.server";
import { loadShopSettings } from "../shops/shop-settings.server";

export interface IndexHealth {
  /** false while the web process is still building the index (never blocks the page) */
  ready: boolean;
  searchable: number;
  embedded: number;
  catalogVersion: number;
  status: "healthy" | "catching_up" | "loading" | "empty";
}

export interface HomeData {
  shop: string;
  status: CatalogStatus;
  index: IndexHealth;
  themeEditorUrl: string;
  blocks: { similar: boolean; photoSearch: boolean; launcher: boolean };
}

/** Theme editor deep link that opens the product template with our block ready to add. */
export function themeEditorUrl(shop: string, apiKey: string): string {
  const params = new URLSearchParams({ template: "product", addAppBlockId: `${apiKey}/similar-products`, target: "mainSection" });
  return `https://${shop}/admin/themes/current/editor?${params}`;
}

export async function homeLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<HomeData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const [status, settings, shopRow] = await Promise.all([
    loadCatalogStatus(deps.db, shop),
    loadShopSettings(deps.db, shop),
    deps.db.shop.findUnique({ where: { domain: shop }, select: { catalogVersion: true } }),
  ]);
  const catalog = await within(deps.catalog(shop).catch(() => null), 1_500);
  const searchable = catalog?.index.size ?? 0;
  const embedded = status.counts.embedded;
  const index: IndexHealth = {
    ready: !!catalog,
    searchable,
    embedded,
    catalogVersion: shopRow?.catalogVersion ?? 0,
    status: !catalog ? "loading" : embedded === 0 ? "empty" : searchable >= embedded ? "healthy" : "catching_up",
  };
  return { shop, status, index, themeEditorUrl: themeEditorUrl(shop, deps.apiKey), blocks: settings.blocks };
}
