/**
 * A live catalog rebuilt in the background: settings changed its channel weights, the catalog
 * drifted from the statistics the index was built with (image mean, facets), or a snapshot was
 * built with another graph density. A blank copy of the entry is filled from the stored vectors
 * (requests keep using the old indexes), then swapped in and re-diffed.
 */
import type { ChannelWeights } from "../search/shop-vector-index.server";
import type { IndexSpec } from "./index-spec";
import { weightsKeyOf, type ShopEntry } from "./live-catalog";
import { blankCopy } from "./shop-entry";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("live-index");

export interface RebuildSteps {
  /** Fills the blank copy from the database (rows only: catalog-refresh.server.ts, withShopState false). */
  load(fresh: ShopEntry): Promise<void>;
  /** After the swap: measure the entry and schedule its save. */
  swapped(entry: ShopEntry): void;
}

export function rebuildInBackground(spec: IndexSpec, entry: ShopEntry, weights: ChannelWeights, steps: RebuildSteps): void {
  if (entry.rebuilding) return;
  const fresh = blankCopy(spec, entry, weights);
  entry.rebuilding = steps
    .load(fresh)
    .then(() => {
      entry.index.retire();
      entry.index = fresh.index;
      entry.images = fresh.images;
      entry.imageMean = fresh.imageMean;
      entry.facets = fresh.facets;
      entry.projectionFitted = fresh.projectionFitted;
      entry.cards = fresh.cards;
      entry.rowVersions = fresh.rowVersions;
      entry.weightsKey = weightsKeyOf(fresh.index.weights);
      entry.dirty = true; // catch anything that changed while building
      steps.swapped(entry);
    })
    .catch((err: unknown) => {
      fresh.index.retire();
      log.error({ err, shop: entry.shop }, `index rebuild failed for ${entry.shop}`);
    })
    .finally(() => {
      entry.rebuilding = undefined;
    });
}
