/**
 * What the live index holds per shop (a LiveCatalog: what ranking and the storefront read) and the
 * mutable state the room keeps beside it (ShopEntry: freshness, saves, memory). Types and the
 * weights' normal form only; no I/O.
 */
import type { CatalogMean } from "../embedding/catalog-centring";
import type { TagFacets } from "../embedding/text/tag-facets";
import type { ProductImageIndex } from "../search/product-image-index.server";
import type { ChannelWeights, ShopVectorIndex } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS, type ShopSettings } from "../shops/shop-settings";
import type { LiveCardFields } from "./product-card";
import type { ShopRules } from "./product-rules";

/** The index weights of a shop without stored weights: the settings' default (one source of truth). */
export const DEFAULT_WEIGHTS: ChannelWeights = { ...DEFAULT_SETTINGS.weights };

export type LiveCard = LiveCardFields;

export interface LiveCatalog {
  shop: string;
  index: ShopVectorIndex;
  /** Every stored photo of every product (image channel only): the photo search's best-photo index. */
  images: ProductImageIndex;
  /**
   * The mean product image vector the combined index's image channel is centred on (similar
   * products; see catalog-centring.ts), or null (too few products). Fixed for an index build.
   */
  imageMean: CatalogMean | null;
  /**
   * The shop's facet tags (tag-facets.ts), computed with imageMean when the index is built: the
   * combined index's text channel carries each product's facet values beside its text
   * (text-channel.ts). Fixed for an index build, like imageMean.
   */
  facets: TagFacets;
  cards: Map<string, LiveCard>;
  version: number;
  /** False once the shop uninstalled the app (Shop.uninstalledAt set). */
  installed: boolean;
  /** Shop.settings, parsed (weights, filters, results count). */
  settings: ShopSettings;
  /** Merchant pins/excludes per product (ProductRule), reloaded on every catalog version change. */
  rules: ShopRules;
  /** Identifies the index's channel weights; part of result cache keys. */
  weightsKey: string;
}

/** A loaded shop: its LiveCatalog plus the state the live index keeps to refresh, save and budget it. */
export interface ShopEntry extends LiveCatalog {
  rowVersions: Map<string, number>;
  checkedAt: number;
  dirty: boolean;
  settingsJson: string;
  refreshing?: Promise<void>;
  rebuilding?: Promise<void>;
  saveTimer?: NodeJS.Timeout;
  /** When the first change not yet captured by a save was applied (ms); undefined when none is pending. */
  unsavedSince?: number;
  /** Saves that failed in a row (a full disk, a directory made read-only); reset by a save that succeeds. */
  saveFailures: number;
  /**
   * The indexes were built by this process with its projection config (projections fitted, or
   * found not worth it): no rebuild for them (index-spec.ts projectionDue). Unset for a snapshot.
   */
  projectionFitted?: boolean;
  /** Product rows read from the database and indexed since the entry was made (an open from a snapshot: only the changed ones). */
  rowsLoaded: number;
  /** After a failed save, no attempt before this time (ms): the retry backs off, changes do not hurry it. */
  saveRetryAt?: number;
  /** Estimated resident bytes (index + cards), updated after each refresh. */
  bytes: number;
  /** When the last full diff ran (0: never — the next refresh is a full one). */
  lastFullDiffAt: number;
  /** When the oldest catalog change not yet applied was published (ms, from the pub/sub message). */
  changePublishedAt?: number;
  /** Newest row version (updatedAt, ms) seen; incremental diffs read rows changed since shortly before it. */
  maxRowVersion: number;
  /** Products the next refresh reads again from the database whatever their version (a snapshot's photo index lacked them). */
  toReload: Set<string>;
  /**
   * Set while an entry opened from a snapshot still reads its per-photo index (`images` is an empty
   * stand-in until then): similar products are served meanwhile; whatever needs the photos — a
   * photo or text search, a save, a change to the indexes — waits for it (LiveCatalogs).
   */
  imagesLoading?: Promise<void>;
}

/** What LiveCatalogs reports as it works (metrics: app/metrics/storefront-metrics.server.ts). */
export interface LiveCatalogsObserver {
  shopOpened(seconds: number, ok: boolean): void;
  snapshotSaved(ok: boolean): void;
  changeApplied(lagSeconds: number): void;
}

export function normalizedWeights(w: ChannelWeights): ChannelWeights {
  const sum = w.image + w.color + w.text;
  return sum > 0 ? { image: w.image / sum, color: w.color / sum, text: w.text / sum } : DEFAULT_WEIGHTS;
}

export function weightsKeyOf(w: ChannelWeights): string {
  return [w.image, w.color, w.text].map((x) => x.toFixed(4)).join(",");
}
