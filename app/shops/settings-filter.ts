/** The shop's settings as a search filter (pure: the storefront, the admin previews and the Settings page's live preview use it). */
import type { ProductFilter } from "../search/filters";
import type { ShopSettings } from "./shop-settings";

/**
 * The request's filter AND the shop's settings. Returns null when they contradict each other
 * (e.g. `available=false` in a shop that hides out-of-stock products): nothing can match.
 */
export function withSettings(filter: ProductFilter, settings: ShopSettings, productPrice?: number): ProductFilter | null {
  const out: ProductFilter = { ...filter };
  if (settings.hideOutOfStock) {
    if (filter.available === false) return null;
    out.available = true;
  }
  if (settings.excludedProductTypes.length) out.excludeProductTypes = [...(filter.excludeProductTypes ?? []), ...settings.excludedProductTypes];
  if (settings.excludedTags.length) out.excludeTags = [...(filter.excludeTags ?? []), ...settings.excludedTags];
  if (settings.priceBand > 0 && productPrice !== undefined && productPrice > 0) {
    const lo = productPrice * Math.max(0, 1 - settings.priceBand);
    const hi = productPrice * (1 + settings.priceBand);
    if (out.minPrice === undefined || lo > out.minPrice) {
      out.minPrice = lo;
      out.minPriceExclusive = false;
    }
    if (out.maxPrice === undefined || hi < out.maxPrice) {
      out.maxPrice = hi;
      out.maxPriceExclusive = false;
    }
  }
  return out;
}
