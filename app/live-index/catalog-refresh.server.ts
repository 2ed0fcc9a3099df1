/**
 * A live catalog's refresh from the database (the source of truth): the shop's state (install,
 * settings, their channel weights, the merchant's rules), then the rows that changed
 * (row-diff.server.ts) — gone ones dropped, changed ones read with their vectors in chunks and
 * upserted into both indexes (row-vectors.ts) — and, on a fresh build, the shop's statistics first
 * (shop-statistics.server.ts). Index inserts are synchronous (~3 ms a product at 1,844-d), so the
 * event loop is handed back every few ms while a big change loads.
 *
 * A save may be writing the indexes from their memory (they are `busy` meanwhile and refuse
 * changes): the refresh waits for it before it changes either index, with no await between that
 * wait and the change.
 */
import type { Db } from "../db.server";
import type { ChannelWeights } from "../search/shop-vector-index.server";
import { yielder } from "../shared/event-loop-turns";
import { parseStoredSettings } from "../shops/shop-settings";
import { emptyImages, emptyIndex, graphOutdated, projectionDue, type IndexSpec } from "./index-spec";
import { fitShopProjections } from "./shop-projections.server";
import { normalizedWeights, weightsKeyOf, type ShopEntry } from "./live-catalog";
import { diffRows, diffSinceSnapshot, fullDiffDue } from "./row-diff.server";
import { indexedProduct, INDEXED_ROW_SELECT } from "./row-vectors";
import { loadShopRules, readShopRow } from "./shop-state.server";
import { readShopStatistics, statisticsStale } from "./shop-statistics.server";

const LOAD_CHUNK = 400;
/** Longest stretch of index loading between two turns of the event loop. */
const YIELD_EVERY_MS = 10;

export interface RefreshContext {
  db: Db;
  spec: IndexSpec;
  /** Rows per query of a full diff (default FULL_DIFF_PAGE). */
  fullDiffPageSize?: number;
  /** Builds the entry anew with `weights` in the background (weight-rebuild.server.ts). */
  rebuild(entry: ShopEntry, weights: ChannelWeights): void;
  /** The entry changed: a snapshot save is due. */
  changed(entry: ShopEntry): void;
  /** The shop is unknown (or was redacted): empty the entry. */
  clear(entry: ShopEntry): void;
}

/**
 * Brings the entry in step with the database. `withShopState` false: the rows only (a rebuild's
 * blank copy, which keeps the entry's settings and rules).
 */
export async function refreshEntry(ctx: RefreshContext, entry: ShopEntry, withShopState = true): Promise<void> {
  const { db } = ctx;
  entry.dirty = false;
  entry.checkedAt = Date.now();
  const shop = await readShopRow(db, entry.shop);
  if (!shop) {
    // Unknown or redacted shop: nothing to serve, and nothing to write back to disk.
    ctx.clear(entry);
    return;
  }
  const version = shop.catalogVersion;
  if (withShopState) {
    entry.installed = !!shop && !shop.uninstalledAt;
    if (shop && shop.settings !== entry.settingsJson) {
      entry.settings = parseStoredSettings(shop.settings);
      entry.settingsJson = shop.settings;
    }
    const weights = normalizedWeights(entry.settings.weights);
    if (weightsKeyOf(weights) !== entry.weightsKey) {
      if (entry.index.size === 0) {
        entry.index = emptyIndex(ctx.spec, weights);
        entry.weightsKey = weightsKeyOf(entry.index.weights);
      } else ctx.rebuild(entry, weights);
    }
    entry.rules = await loadShopRules(db, entry.shop);
  }
  const changed = await applyDiff(ctx, entry, fullDiffDue(entry));
  entry.version = version;
  if (changed > 0) ctx.changed(entry);
}

/** Reads changed rows (all live rows when `full`), drops gone ones, loads changed ones; returns how many changed. */
async function applyDiff(ctx: RefreshContext, entry: ShopEntry, full: boolean): Promise<number> {
  const { db, spec } = ctx;
  const startedAt = Date.now();
  // Opened from a snapshot (its versions loaded, never diffed): the rows changed since it, when the database confirms that is all.
  const sinceSnapshot = full && entry.lastFullDiffAt === 0 && entry.rowVersions.size > 0 ? await diffSinceSnapshot(db, entry) : null;
  const { toLoad, gone, maxVersion: seen } = sinceSnapshot ?? (await diffRows(db, entry, full, ctx.fullDiffPageSize));
  let maxVersion = seen;
  let changed = 0;
  // The per-photo index of a snapshot still being read: the indexes change together, after it
  // (it may name products to read again).
  if ((toLoad.length > 0 || gone.length > 0 || entry.toReload.size > 0) && entry.imagesLoading) await entry.imagesLoading;
  if (entry.toReload.size > 0) {
    const goneIds = new Set(gone);
    for (const id of toLoad) entry.toReload.delete(id);
    for (const id of entry.toReload) if (!goneIds.has(id)) toLoad.push(id);
    entry.toReload.clear();
  }
  // A save may be writing the indexes from their memory: change them once it is done (and with no
  // await between that wait and the change, here and in the loop below).
  await writable(entry);
  for (const id of gone) {
    entry.index.remove(id);
    entry.images.removeProduct(id);
    entry.cards.delete(id);
    entry.rowVersions.delete(id);
    changed++;
  }
  if (entry.index.size === 0 && toLoad.length > 0) {
    // A fresh build: the shop's statistics, fixed until the catalog drifts.
    const stats = await readShopStatistics(db, spec, entry.shop, toLoad);
    entry.imageMean = stats.imageMean;
    entry.facets = stats.facets;
    // A big shop stores its vectors through projections learned from its own (decision 0019).
    const fitted = await fitShopProjections(db, spec, entry.shop, toLoad, stats);
    entry.projectionFitted = spec.projection !== null;
    await writable(entry);
    if (entry.index.size === 0 && (fitted.index.image || fitted.index.text)) {
      entry.index.retire();
      entry.index = emptyIndex(spec, entry.index.weights, fitted.index);
    }
    if (entry.images.size === 0 && fitted.photos) entry.images = emptyImages(spec, fitted.photos);
  }
  const pause = yielder(YIELD_EVERY_MS);
  for (let i = 0; i < toLoad.length; i += LOAD_CHUNK) {
    const rows = await db.product.findMany({ where: { shopDomain: entry.shop, id: { in: toLoad.slice(i, i + LOAD_CHUNK) } }, select: INDEXED_ROW_SELECT });
    for (const row of rows) {
      // Index inserts are synchronous (~3 ms a product at 1,844-d): hand the event loop back
      // every few ms so requests keep flowing while a big change is loaded.
      await pause();
      if (entry.index.busy || entry.images.busy) await writable(entry);
      if (row.status !== "ACTIVE" || !row.embeddedAt) continue;
      const product = indexedProduct(spec, row, entry);
      entry.index.upsert(row.id, product.vectors, product.attrs);
      entry.images.setProduct(row.id, product.photos, product.attrs);
      entry.cards.set(row.id, product.card);
      entry.rowVersions.set(row.id, row.updatedAt.getTime());
      entry.rowsLoaded++;
      if (row.updatedAt.getTime() > maxVersion) maxVersion = row.updatedAt.getTime();
      changed++;
    }
  }
  // The statistics no longer describe the catalog (it grew or shrank a lot): rebuild with new ones.
  // So does a snapshot built with another graph density (M 16 / efConstruction 100 before; recall
  // at 300k products stopped at 0.978 with it, docs/benchmarks.md).
  // (While the photo index is still read, it is checked once it is there: LiveCatalogs.)
  const stale = !entry.imagesLoading && (statisticsStale(entry) || graphOutdated(spec, entry) || projectionDue(spec, entry));
  if (!entry.rebuilding && stale) ctx.rebuild(entry, entry.index.weights);
  entry.maxRowVersion = maxVersion;
  if (full) entry.lastFullDiffAt = startedAt;
  return changed;
}

/**
 * Resolves once no save is writing either index of the entry (ShopVectorIndex.busy: the native
 * write reads the index on a thread-pool thread). The caller changes the indexes right after,
 * with no await in between; the indexes refuse changes while busy.
 */
async function writable(entry: ShopEntry): Promise<void> {
  while (entry.index.busy || entry.images.busy) await Promise.all([entry.index.whenWritable(), entry.images.whenWritable()]);
}
