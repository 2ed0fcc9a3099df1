/**
 * What the theme blocks learn of the shop's settings (the app proxy's answers): which blocks the
 * merchant has on, and the shop's number of results. Nothing else of the settings leaves the app.
 */
import type { ShopSettings } from "./shop-settings";

export interface StorefrontConfig {
  blocks: { similar: boolean; photoSearch: boolean; launcher: boolean };
  resultsCount: number;
}

export function storefrontConfig(settings: ShopSettings): StorefrontConfig {
  return { blocks: { ...settings.blocks }, resultsCount: settings.resultsCount };
}
