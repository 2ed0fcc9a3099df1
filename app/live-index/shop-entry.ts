/** A loaded shop's entry: made empty, cleared (unknown or redacted shop), or copied blank for a rebuild. */
import { NO_FACETS } from "../embedding/text/tag-facets";
import type { ChannelWeights } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../shops/shop-settings";
import { emptyImages, emptyIndex, type IndexSpec } from "./index-spec";
import { weightsKeyOf, type ShopEntry } from "./live-catalog";

/** An entry that has seen nothing yet (version -1: the first refresh loads it). */
export function newEntry(spec: IndexSpec, shop: string): ShopEntry {
  const index = emptyIndex(spec);
  return {
    shop, index, images: emptyImages(spec), imageMean: null, facets: NO_FACETS, cards: new Map(), rowVersions: new Map(), version: -1, checkedAt: 0, dirty: true,
    installed: true, settings: DEFAULT_SETTINGS, settingsJson: "{}", rules: new Map(), weightsKey: weightsKeyOf(index.weights), bytes: 0,
    lastFullDiffAt: 0, maxRowVersion: 0, saveFailures: 0, rowsLoaded: 0, toReload: new Set(),
  };
}

/** Unknown or redacted shop: nothing to serve, and nothing to write back to disk. */
export function clearEntry(spec: IndexSpec, entry: ShopEntry): void {
  clearTimeout(entry.saveTimer);
  entry.saveTimer = undefined;
  entry.unsavedSince = undefined;
  entry.index.retire();
  entry.index = emptyIndex(spec);
  entry.images = emptyImages(spec);
  entry.imageMean = null;
  entry.facets = NO_FACETS;
  entry.cards.clear();
  entry.rowVersions.clear();
  entry.version = -1;
  entry.installed = false;
  entry.dirty = false;
  entry.lastFullDiffAt = 0;
  entry.maxRowVersion = 0;
  entry.toReload.clear();
  entry.projectionFitted = undefined;
}

/** The entry's shop state with empty indexes of `weights`: what a background rebuild fills. */
export function blankCopy(spec: IndexSpec, entry: ShopEntry, weights: ChannelWeights): ShopEntry {
  return {
    ...entry,
    index: emptyIndex(spec, weights),
    images: emptyImages(spec),
    imageMean: null,
    facets: NO_FACETS,
    cards: new Map(),
    rowVersions: new Map(),
    refreshing: undefined,
    rebuilding: undefined,
    saveTimer: undefined,
    unsavedSince: undefined,
    saveFailures: 0,
    lastFullDiffAt: 0,
    maxRowVersion: 0,
    toReload: new Set(),
    imagesLoading: undefined,
    projectionFitted: undefined,
  };
}
