/**
 * The products of a shop's live catalog, as the events route checks ids against them: the catalog
 * the web process already holds in memory for searches (a shop not loaded yet is opened once).
 * No catalog (unknown or uninstalled shop) → 404, as the other proxy routes; the database away
 * with nothing in memory → 503.
 */
import { errorSummary } from "../shared/error-text";
import type { LiveCatalogs } from "../live-index/live-catalogs.server";
import { ProxyError } from "../storefront/proxy-errors.server";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("analytics");

let lastUnavailableLog = 0;

export async function catalogProducts(catalogs: LiveCatalogs | Promise<LiveCatalogs>, shop: string): Promise<{ has(id: string): boolean }> {
  let catalog;
  try {
    catalog = await (await catalogs).get(shop);
  } catch (err) {
    if (Date.now() - lastUnavailableLog > 10_000) {
      lastUnavailableLog = Date.now();
      log.error({ shop }, `catalog of ${shop} unavailable for events: ${errorSummary(err)}`);
    }
    throw new ProxyError(503, "unavailable", "Briefly unavailable; please try again in a few seconds.", { "Retry-After": "5" });
  }
  if (catalog.version < 0 || !catalog.installed) throw new ProxyError(404, "shop_not_found", "This shop has no Lookalike catalog.");
  return catalog.cards;
}
