/**
 * The web process' in-memory view of each shop's searchable catalog: a ShopVectorIndex plus the
 * product cards, kept in step with the database (the source of truth).
 *
 * Freshness: a worker that changes a product bumps Shop.catalogVersion and publishes it; this
 * process marks the shop dirty on that message, re-checks the version at most once a second
 * anyway, and marks every shop dirty after a Redis reconnect, so no change is missed. A refresh
 * reads the rows updated or tombstoned since shortly before the newest row version it has seen
 * (indexed reads, milliseconds), compares their versions (Product.updatedAt) with what is loaded
 * and reads only changed vectors; the first load, and one refresh every 10 minutes, diff every row.
 * While the database is unreachable a loaded shop is served as last seen.
 * Requests wait for a pending refresh, so a deleted product is never served after its delete
 * reached the database and the version was seen.
 *
 * Persistence: after changes settle (SAVE_DELAY_MS without one, but at the latest SAVE_MAX_WAIT_MS
 * after the first unsaved change, so a shop under a steady stream of webhooks is saved too), the
 * index and a sidecar of cards/row versions are saved under DATA_DIR/indexes/<shop>/; a restart
 * loads them and refreshes only the difference. A
 * missing or corrupt file means a rebuild from the database, and so does a snapshot made with
 * another image or text model, or other channel dimensions. A save is no long stretch on the
 * event loop (20k products × 1,844-d: longest block 13–51 ms, was 177–757 ms, side by side;
 * scripts/bench-save.ts): the native index and the int8 store are written on libuv's thread pool
 * from the live memory, so while that write runs an index is `busy` and refuses changes — a
 * refresh waits for it before it changes either index (writable), searches go on. Saves of one
 * shop run one at a time.
 *
 * Models: the image channel takes only rows whose `modelId` is this process' image model, the
 * text channel only rows whose text key (vector-versions.ts) names this process' text model and
 * whose vector has its dimension; other rows join without that channel until the reconciler has
 * them re-embedded — never mixed dimensions in one index.
 */
import { mkdir, rm } from "node:fs/promises";
import { errorSummary } from "../shared/error-text";
import { yielder } from "../shared/event-loop-turns";
import path from "node:path";
import pLimit from "p-limit";
import type { Db } from "../db.server";
import { centre, MeanAccumulator, meanIsStale, type CatalogMean } from "../embedding/catalog-centring";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { detectFacets, facetsAreStale, facetsFromGroups, groupShares, NO_FACETS, type TagFacets } from "../embedding/text/tag-facets";
import { textChannelDim, textChannelVector } from "../embedding/text/text-channel";
import { TEXT_DIM } from "../embedding/text/text-vector";
import { HASHED_TEXT_MODEL_ID, textModelOfKey } from "../embedding/vector-versions";
import { fromBytes, unpackVectors } from "../embedding/vector-codec";
import { subscribeCatalogChanges, type CatalogSubscription } from "../catalog/catalog-events.server";
import type { ProductAttributes } from "../search/filters";
import { ProductImageIndex } from "../search/product-image-index.server";
import { DEFAULT_GRAPH, ShopVectorIndex, type ChannelVectors, type ChannelWeights, type GraphParams } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS, parseStoredSettings, type ShopSettings } from "../shops/shop-settings";
import { readSidecar, writeSidecar, type SidecarColumns, type SidecarHeader } from "./catalog-sidecar.server";
import { cardFromRow, type ProductCard } from "./product-card";
import { rulesFromRows, type ShopRules } from "./product-rules";

/** The index weights of a shop without stored weights: the settings' default (one source of truth). */
export const DEFAULT_WEIGHTS: ChannelWeights = { ...DEFAULT_SETTINGS.weights };
const VERSION_CHECK_MS = 1_000;
/** A snapshot is saved once changes have settled: this long after the last change... */
export const SAVE_DELAY_MS = 5_000;
/**
 * ...but at the latest this long after the first change not yet in a snapshot, even if changes keep
 * coming (a steady stream of product webhooks would otherwise postpone the save for ever). A save
 * of a 20k-product shop writes ~400 MB (graph, int8 store, photo index) and hashes it; every 60 s
 * under the soak's load it raised p99 by 16–40 ms and gave 10 event-loop intervals over 100 ms in
 * 10 minutes instead of 7 (docs/benchmarks.md, soak of the third session). What a late save costs is bounded anyway:
 * a restart loads the snapshot and then only the rows changed since, in short steps.
 */
export const SAVE_MAX_WAIT_MS = 10 * 60_000;
const LOAD_CHUNK = 400;
/** Rows per query of a full diff (versions only). */
const FULL_DIFF_PAGE = 2_000;
/** Longest stretch of index loading between two turns of the event loop. */
const YIELD_EVERY_MS = 10;
/** A full diff (every live row's version) at least this often; between them, only recent rows. */
const FULL_DIFF_MS = 10 * 60_000;
/** Recent = changed within this much of the newest version seen (late commits, clock skew). */
const RECENT_OVERLAP_MS = 60_000;

export type LiveCard = ProductCard & { localImage: boolean };

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

interface Entry extends LiveCatalog {
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
}


/** What LiveCatalogs reports as it works (metrics: app/metrics/storefront-metrics.server.ts). */
export interface LiveCatalogsObserver {
  shopOpened(seconds: number, ok: boolean): void;
  snapshotSaved(ok: boolean): void;
  changeApplied(lagSeconds: number): void;
}

export interface LiveCatalogsOptions {
  observer?: LiveCatalogsObserver;
  db: Db;
  dataDir: string;
  imageModelId: string;
  imageDim: number;
  /** The text channel's model (its vectors' key, vector-versions.ts) and dimension. Default: the hashed text vector, TEXT_DIM. */
  textModelId?: string;
  textDim?: number;
  weights?: ChannelWeights;
  /**
   * Memory budget for all loaded shops (bytes, estimated). When a load or refresh goes over it,
   * the least recently used shops are dropped (saved first when they have unsaved changes) and
   * reloaded from disk on their next request. Default: LIVE_CATALOGS_MAX_MB (MB), else 4096 MB.
   */
  memoryBudgetBytes?: number;
  /**
   * Shops opened (snapshot read and checked, catch-up diff) at the same time; more wait their turn.
   * Default: LIVE_CATALOGS_MAX_OPENING, else 2. With seven 2k-product shops opening at once, an
   * open shop's searches waited p99 38–56 ms (every ready read, hash and query of seven opens ran in
   * the same turns); two at a time, 19–29 ms, for ~1.2× the time until all are open
   * (`bench-http.ts budget`, docs/benchmarks.md).
   */
  maxConcurrentOpens?: number;
  /** Rows per query of a full diff (default FULL_DIFF_PAGE). */
  fullDiffPageSize?: number;
  /** Quiet time before a snapshot is saved (default SAVE_DELAY_MS). */
  saveDelayMs?: number;
  /** Longest wait from the first unsaved change to its save (default SAVE_MAX_WAIT_MS). */
  saveMaxWaitMs?: number;
  /**
   * Graph density of the indexes this process builds (default DEFAULT_GRAPH). A snapshot built with
   * another one (an older release's default, say) is served as it is and rebuilt in the background.
   */
  graph?: GraphParams;
}

export function maxOpeningFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LIVE_CATALOGS_MAX_OPENING ?? 2);
  return Number.isInteger(n) && n > 0 ? n : 2;
}

export function memoryBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.LIVE_CATALOGS_MAX_MB ?? 4096);
  return (Number.isFinite(mb) && mb > 0 ? mb : 4096) * 2 ** 20;
}

const CARD_BYTES = 400;

function normalizedWeights(w: ChannelWeights): ChannelWeights {
  const sum = w.image + w.color + w.text;
  return sum > 0 ? { image: w.image / sum, color: w.color / sum, text: w.text / sum } : DEFAULT_WEIGHTS;
}

function weightsKeyOf(w: ChannelWeights): string {
  return [w.image, w.color, w.text].map((x) => x.toFixed(4)).join(",");
}

export class LiveCatalogs {
  /** In least-recently-used-first order (a hit moves the shop to the end). */
  private readonly entries = new Map<string, Entry>();
  readonly evictions: { shop: string; at: number }[] = [];
  private readonly loading = new Map<string, Promise<Entry>>();
  /** Runs `open` for at most `maxConcurrentOpens` shops at a time. */
  private readonly opening: ReturnType<typeof pLimit>;
  /**
   * Per shop (loaded or evicted), the last save queued or running: saves of one shop run one at a
   * time, each after the one before, so waiting for these waits for every save (close).
   */
  private readonly saving = new Map<string, Promise<void>>();
  private subscription?: CatalogSubscription;
  private closed = false;

  private readonly textModelId: string;
  private readonly textDim: number;

  constructor(private readonly opts: LiveCatalogsOptions) {
    this.textModelId = opts.textModelId ?? HASHED_TEXT_MODEL_ID;
    this.textDim = opts.textDim ?? TEXT_DIM;
    this.opening = pLimit(opts.maxConcurrentOpens ?? maxOpeningFromEnv());
  }

  subscribe(redisUrl: string): void {
    this.subscription = subscribeCatalogChanges(redisUrl, {
      onChange: (shop, _version, publishedAt) => this.markDirty(shop, publishedAt),
      onReconnect: () => this.entries.forEach((e) => (e.dirty = true)),
    });
  }

  markDirty(shop: string, publishedAt?: number): void {
    const e = this.entries.get(shop);
    if (e) e.dirty = true;
    if (e && publishedAt !== undefined) e.changePublishedAt ??= publishedAt;
  }

  /** The shop's catalog, fresh to within about a second. */
  async get(shop: string): Promise<LiveCatalog> {
    let entry = this.entries.get(shop);
    if (entry) {
      this.entries.delete(shop); // LRU: move to the end
      this.entries.set(shop, entry);
    } else {
      let pending = this.loading.get(shop);
      if (!pending) {
        pending = this.opening(() => this.timedOpen(shop)).finally(() => this.loading.delete(shop));
        this.loading.set(shop, pending);
      }
      entry = await pending;
    }
    try {
      if (entry.dirty || Date.now() - entry.checkedAt > VERSION_CHECK_MS) await this.refreshIfChanged(entry);
      else if (entry.refreshing) await entry.refreshing;
    } catch (err) {
      // The database is unreachable (or failed) mid-refresh: keep answering from memory — the
      // last state this process saw — and try again at the next check (at most once a second).
      entry.dirty = true;
      entry.checkedAt = Date.now();
      if (entry.version < 0) throw err; // never loaded: nothing to serve
      this.warnStale(entry.shop, err);
    }
    return entry;
  }

  private lastStaleWarning = 0;
  private warnStale(shop: string, err: unknown): void {
    if (Date.now() - this.lastStaleWarning < 10_000) return;
    this.lastStaleWarning = Date.now();
    console.warn(`[lookalike] could not refresh the catalog of ${shop}, serving it from memory: ${errorSummary(err)}`);
  }

  /** Loaded shops and their estimated bytes (LRU first). */
  loaded(): { shop: string; bytes: number }[] {
    return [...this.entries.values()].map((e) => ({ shop: e.shop, bytes: e.bytes }));
  }

  private budget(): number {
    return this.opts.memoryBudgetBytes ?? memoryBudgetFromEnv();
  }

  /** Drops least recently used shops (never `keep`) until the estimate fits the budget. */
  private enforceBudget(keep: Entry): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    for (const e of [...this.entries.values()]) {
      if (total <= this.budget()) break;
      if (e === keep || e.refreshing || e.rebuilding) continue;
      this.entries.delete(e.shop);
      total -= e.bytes;
      this.evictions.push({ shop: e.shop, at: Date.now() });
      if (this.evictions.length > 1000) this.evictions.splice(0, 500);
      if (e.saveTimer) void this.save(e).catch(() => {}); // unsaved changes (save clears the timer)
    }
  }

  private measure(entry: Entry): void {
    entry.bytes = entry.index.stats().memory.usedBytes + entry.images.stats().memory.usedBytes + entry.cards.size * CARD_BYTES;
  }

  /** Stops listening and cancels pending saves; resolves once the saves already running are done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.subscription?.close();
    for (const e of this.entries.values()) clearTimeout(e.saveTimer);
    await Promise.allSettled([...this.saving.values()]);
  }

  private dir(shop: string): string {
    return path.join(this.opts.dataDir, "indexes", shop);
  }

  private emptyIndex(weights: ChannelWeights = this.opts.weights ?? DEFAULT_WEIGHTS): ShopVectorIndex {
    return new ShopVectorIndex({
      dims: { image: this.opts.imageDim, color: COLOR_DIM, text: textChannelDim(this.textDim) },
      weights,
      ...this.graph,
    });
  }

  private emptyImages(): ProductImageIndex {
    return ProductImageIndex.create(this.opts.imageDim, undefined, this.graph);
  }

  private get graph(): GraphParams {
    return this.opts.graph ?? DEFAULT_GRAPH;
  }

  /** Whether either index was built with another graph density than this process builds. */
  private graphOutdated(entry: Entry): boolean {
    const want = this.graph;
    return [entry.index.graph, entry.images.graph].some((g) => g.M !== want.M || g.efConstruction !== want.efConstruction);
  }

  private imagesDir(shop: string): string {
    return path.join(this.dir(shop), "images");
  }

  private timedOpen(shop: string): Promise<Entry> {
    const start = performance.now();
    const done = (ok: boolean) => this.opts.observer?.shopOpened((performance.now() - start) / 1000, ok);
    return this.open(shop).then((e) => (done(true), e), (err: unknown) => (done(false), Promise.reject(err)));
  }

  private async open(shop: string): Promise<Entry> {
    const index = this.emptyIndex();
    const entry: Entry = {
      shop, index, images: this.emptyImages(), imageMean: null, facets: NO_FACETS, cards: new Map(), rowVersions: new Map(), version: -1, checkedAt: 0, dirty: true,
      installed: true, settings: DEFAULT_SETTINGS, settingsJson: "{}", rules: new Map(), weightsKey: weightsKeyOf(index.weights), bytes: 0,
      lastFullDiffAt: 0, maxRowVersion: 0, saveFailures: 0,
    };
    const loaded = await this.loadFromDisk(shop);
    if (loaded) Object.assign(entry, loaded, { weightsKey: weightsKeyOf(loaded.index.weights) });
    this.entries.set(shop, entry);
    try {
      await this.refresh(entry);
    } catch (err) {
      // The shop's settings, rules and install state live only in the database: nothing to serve yet.
      this.entries.delete(shop);
      throw err;
    }
    this.measure(entry);
    this.enforceBudget(entry);
    return entry;
  }

  private async loadFromDisk(shop: string): Promise<Pick<Entry, "index" | "images" | "imageMean" | "facets" | "cards" | "rowVersions"> | null> {
    const dir = this.dir(shop);
    try {
      const sidecar = await readSidecar<LiveCard>(dir);
      if (!sidecar || sidecar.imageModelId !== this.opts.imageModelId) return null;
      if ((sidecar.textModelId ?? HASHED_TEXT_MODEL_ID) !== this.textModelId) return null;
      const imageMean = sidecar.imageMean && { mean: Float32Array.from(sidecar.imageMean.mean), count: sidecar.imageMean.count };
      if (imageMean && imageMean.mean.length !== this.opts.imageDim) return null;
      const index = await ShopVectorIndex.load(dir);
      if (!index || index.dims.image !== this.opts.imageDim || index.dims.text !== textChannelDim(this.textDim) || index.dims.color !== COLOR_DIM) return null;
      const images = await ProductImageIndex.load(this.imagesDir(shop));
      if (!images || images.dim !== this.opts.imageDim) return null;
      const cards = new Map<string, LiveCard>();
      const rowVersions = new Map<string, number>();
      const pause = yielder(YIELD_EVERY_MS); // each pass below: ~10 ms at 20k products
      for (const [id, version, card] of sidecar.rows) {
        await pause();
        if (!index.has(id)) continue;
        cards.set(id, card);
        rowVersions.set(id, version);
      }
      for (const id of [...index.ids()]) {
        await pause();
        if (!cards.has(id)) index.remove(id);
      }
      // A product whose photos are missing from the image index is loaded again from the database.
      // (The two indexes are saved one after the other, so they may differ by a few products.)
      for (const id of [...images.productIds()]) {
        await pause();
        if (!cards.has(id)) images.removeProduct(id);
      }
      for (const id of [...cards.keys()]) {
        await pause();
        if (!images.has(id)) rowVersions.delete(id);
      }
      return { index, images, imageMean, facets: facetsFromGroups(sidecar.facets, sidecar.facetsCount, sidecar.facetShares), cards, rowVersions };
    } catch {
      return null; // missing or unreadable: rebuild from the database
    }
  }

  private async refreshIfChanged(entry: Entry): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    entry.checkedAt = Date.now();
    const shop = await this.opts.db.shop.findUnique({ where: { domain: entry.shop }, select: { catalogVersion: true, uninstalledAt: true } });
    if (!shop) {
      this.clear(entry);
      return;
    }
    entry.installed = !shop.uninstalledAt; // an uninstall need not bump the version
    if (shop.catalogVersion === entry.version && !entry.dirty) return;
    await this.refresh(entry);
  }

  /**
   * Settings changed their channel weights, or the catalog drifted from the image mean the index is
   * centred on: build a new index from the stored vectors in the background (requests keep using
   * the old one), then swap it in and re-diff.
   */
  private rebuildWithWeights(entry: Entry, weights: ChannelWeights): void {
    if (entry.rebuilding) return;
    const fresh: Entry = {
      ...entry,
      index: this.emptyIndex(weights),
      images: this.emptyImages(),
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
    };
    entry.rebuilding = this.diffAndLoad(fresh, false)
      .then(() => {
        entry.index = fresh.index;
        entry.images = fresh.images;
        entry.imageMean = fresh.imageMean;
        entry.facets = fresh.facets;
        entry.cards = fresh.cards;
        entry.rowVersions = fresh.rowVersions;
        entry.weightsKey = weightsKeyOf(fresh.index.weights);
        entry.dirty = true; // catch anything that changed while building
        this.measure(entry);
        this.scheduleSave(entry);
      })
      .catch((err) => console.error("[lookalike] index rebuild failed", entry.shop, err))
      .finally(() => {
        entry.rebuilding = undefined;
      });
  }

  private clear(entry: Entry): void {
    clearTimeout(entry.saveTimer);
    entry.saveTimer = undefined;
    entry.unsavedSince = undefined;
    entry.index = this.emptyIndex();
    entry.images = this.emptyImages();
    entry.imageMean = null;
    entry.facets = NO_FACETS;
    entry.cards.clear();
    entry.rowVersions.clear();
    entry.version = -1;
    entry.installed = false;
    entry.dirty = false;
    entry.lastFullDiffAt = 0;
    entry.maxRowVersion = 0;
  }

  private refresh(entry: Entry): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    const publishedAt = entry.changePublishedAt;
    entry.changePublishedAt = undefined;
    entry.refreshing = this.diffAndLoad(entry)
      .then(() => {
        this.measure(entry);
        this.enforceBudget(entry);
        if (publishedAt !== undefined) this.opts.observer?.changeApplied((Date.now() - publishedAt) / 1000);
      })
      .catch((err: unknown) => {
        if (publishedAt !== undefined) entry.changePublishedAt = Math.min(entry.changePublishedAt ?? publishedAt, publishedAt);
        throw err;
      })
      .finally(() => {
        entry.refreshing = undefined;
      });
    return entry.refreshing;
  }

  private async diffAndLoad(entry: Entry, withShopState = true): Promise<void> {
    const { db } = this.opts;
    entry.dirty = false;
    entry.checkedAt = Date.now();
    const shop = await db.shop.findUnique({ where: { domain: entry.shop }, select: { catalogVersion: true, settings: true, uninstalledAt: true } });
    if (!shop) {
      // Unknown or redacted shop: nothing to serve, and nothing to write back to disk.
      this.clear(entry);
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
          entry.index = this.emptyIndex(weights);
          entry.weightsKey = weightsKeyOf(entry.index.weights);
        } else this.rebuildWithWeights(entry, weights);
      }
      entry.rules = rulesFromRows(
        await db.productRule.findMany({ where: { shopDomain: entry.shop }, select: { productId: true, targetId: true, kind: true }, orderBy: { createdAt: "asc" } }),
      );
    }
    // Which rows changed: a full diff of every live row's version on the first load (then every
    // 10 minutes, a safety net), else only rows updated — or tombstoned: deletes always write one —
    // since shortly before the newest version seen, through the (shopDomain, updatedAt) and
    // (shopDomain, deletedAt) indexes. A catalog change then costs a read of what changed, not a
    // scan of the shop (20k rows with their vectors: 150–300 ms of a blocked event loop).
    const full = !entry.lastFullDiffAt || Date.now() - entry.lastFullDiffAt > FULL_DIFF_MS;
    const changed = await this.applyDiff(entry, full);
    entry.version = version;
    if (changed > 0) this.scheduleSave(entry);
  }

  /** Reads changed rows (all live rows when `full`), drops gone ones, loads changed ones; returns how many changed. */
  private async applyDiff(entry: Entry, full: boolean): Promise<number> {
    const { db } = this.opts;
    const startedAt = Date.now();
    const select = { id: true, updatedAt: true, status: true, embeddedAt: true } as const;
    type VersionRow = { id: string; updatedAt: Date; status: string; embeddedAt: Date | null };
    let rows: VersionRow[];
    if (full) {
      // Every live row's version, a page at a time in id order: one query for a 20k-product shop
      // blocked the loop for ~100 ms decoding its result (and this runs every FULL_DIFF_MS).
      rows = [];
      let cursor: string | undefined;
      const take = this.opts.fullDiffPageSize ?? FULL_DIFF_PAGE;
      for (;;) {
        const page: VersionRow[] = await db.product.findMany({
          where: { shopDomain: entry.shop, status: "ACTIVE", embeddedAt: { not: null }, ...(cursor ? { id: { gt: cursor } } : {}) },
          select,
          orderBy: { id: "asc" },
          take,
        });
        for (const r of page) rows.push(r);
        if (page.length < take) break;
        cursor = page[page.length - 1].id;
      }
    } else {
      rows = await db.product.findMany({ where: { shopDomain: entry.shop, updatedAt: { gt: new Date(entry.maxRowVersion - RECENT_OVERLAP_MS) } }, select });
    }
    const toLoad: string[] = [];
    const gone: string[] = [];
    const live = full ? new Set<string>() : undefined;
    if (!full) {
      const tombstones = await db.productTombstone.findMany({
        where: { shopDomain: entry.shop, deletedAt: { gt: new Date(entry.maxRowVersion - RECENT_OVERLAP_MS) } },
        select: { id: true },
      });
      for (const t of tombstones) if (entry.cards.has(t.id)) gone.push(t.id);
    }
    let maxVersion = full ? 0 : entry.maxRowVersion;
    for (const r of rows) {
      const v = r.updatedAt.getTime();
      if (v > maxVersion) maxVersion = v;
      if (r.status !== "ACTIVE" || !r.embeddedAt) {
        if (entry.cards.has(r.id)) gone.push(r.id);
        continue;
      }
      live?.add(r.id);
      if (entry.rowVersions.get(r.id) !== v) toLoad.push(r.id);
    }
    if (live) for (const id of entry.cards.keys()) if (!live.has(id)) gone.push(id);
    let changed = 0;
    // A save may be writing the indexes from their memory: change them once it is done (and with no
    // await between that wait and the change, here and in the loop below).
    await this.writable(entry);
    for (const id of gone) {
      entry.index.remove(id);
      entry.images.removeProduct(id);
      entry.cards.delete(id);
      entry.rowVersions.delete(id);
      changed++;
    }
    type Row = Awaited<ReturnType<typeof readChunk>>[number];
    const readChunk = (ids: string[]) =>
      db.product.findMany({
        where: { shopDomain: entry.shop, id: { in: ids } },
        select: {
          id: true, handle: true, title: true, priceText: true, price: true, currency: true, imageUrls: true, onlineStoreUrl: true,
          available: true, productType: true, vendor: true, tags: true, updatedAt: true, status: true, embeddedAt: true,
          modelId: true, imageVector: true, imageVectors: true, colorVector: true, textVector: true, vectorTextHash: true,
        },
      });
    const imageOf = (row: Pick<Row, "imageVector" | "modelId">) => {
      const v = row.imageVector && row.modelId === this.opts.imageModelId ? fromBytes(row.imageVector) : undefined;
      return v && v.length === this.opts.imageDim ? v : undefined;
    };
    const textOf = (row: Pick<Row, "textVector" | "vectorTextHash">) => {
      const v = row.textVector && textModelOfKey(row.vectorTextHash) === this.textModelId ? fromBytes(row.textVector) : undefined;
      return v && v.length === this.textDim ? v : undefined;
    };
    if (entry.index.size === 0 && toLoad.length > 0) {
      // A fresh build: the shop's statistics, fixed until the catalog drifts — the mean image vector
      // the image channel is centred on, and the facet tags the text channel carries. One extra pass
      // over the image vectors and tags alone, chunk by chunk.
      const acc = new MeanAccumulator();
      const tagLists: string[][] = [];
      for (let i = 0; i < toLoad.length; i += LOAD_CHUNK) {
        const chunk = await db.product.findMany({
          where: { shopDomain: entry.shop, id: { in: toLoad.slice(i, i + LOAD_CHUNK) }, status: "ACTIVE", embeddedAt: { not: null } },
          select: { imageVector: true, modelId: true, tags: true },
        });
        for (const row of chunk) {
          const image = imageOf(row);
          if (image) acc.add(image);
          tagLists.push(JSON.parse(row.tags) as string[]);
        }
      }
      entry.imageMean = acc.result();
      entry.facets = detectFacets(tagLists);
    }
    const pause = yielder(YIELD_EVERY_MS);
    for (let i = 0; i < toLoad.length; i += LOAD_CHUNK) {
      for (const row of await readChunk(toLoad.slice(i, i + LOAD_CHUNK))) {
        // Index inserts are synchronous (~3 ms a product at 1,844-d): hand the event loop back
        // every few ms so requests keep flowing while a big change is loaded.
        await pause();
        if (entry.index.busy || entry.images.busy) await this.writable(entry);
        if (row.status !== "ACTIVE" || !row.embeddedAt) continue;
        const vectors: ChannelVectors = {};
        let photos: Float32Array[] = [];
        const image = imageOf(row);
        if (image) {
          vectors.image = entry.imageMean ? centre(image, entry.imageMean.mean) : image;
          // Rows embedded before per-photo vectors existed take part with their mean vector.
          photos = row.imageVectors ? unpackVectors(row.imageVectors, this.opts.imageDim) : [image];
        }
        if (row.colorVector) vectors.color = fromBytes(row.colorVector);
        const tags = JSON.parse(row.tags) as string[];
        const text = textChannelVector(textOf(row), entry.facets, tags);
        if (text) vectors.text = text;
        const attrs: ProductAttributes = { price: row.price, available: row.available, productType: row.productType, vendor: row.vendor, tags };
        entry.index.upsert(row.id, vectors, attrs);
        entry.images.setProduct(row.id, photos, attrs);
        entry.cards.set(row.id, cardFromRow(row));
        entry.rowVersions.set(row.id, row.updatedAt.getTime());
        if (row.updatedAt.getTime() > maxVersion) maxVersion = row.updatedAt.getTime();
        changed++;
      }
    }
    // The statistics no longer describe the catalog (it grew or shrank a lot): rebuild with new ones.
    // So does a snapshot built with another graph density (M 16 / efConstruction 100 before; recall
    // at 300k products stopped at 0.978 with it, docs/benchmarks.md).
    const stale = meanIsStale(entry.imageMean?.count ?? 0, entry.images.size) || facetsAreStale(entry.facets, entry.index.size) || this.graphOutdated(entry);
    if (!entry.rebuilding && stale) this.rebuildWithWeights(entry, entry.index.weights);
    entry.maxRowVersion = maxVersion;
    if (full) entry.lastFullDiffAt = startedAt;
    return changed;
  }

  /**
   * Saves the entry once changes have settled (saveDelayMs after the last one), but no later than
   * saveMaxWaitMs after the first change not yet saved.
   */
  private scheduleSave(entry: Entry): void {
    const now = Date.now();
    entry.unsavedSince ??= now;
    let delay = Math.min(this.opts.saveDelayMs ?? SAVE_DELAY_MS, Math.max(0, entry.unsavedSince + (this.opts.saveMaxWaitMs ?? SAVE_MAX_WAIT_MS) - now));
    if (entry.saveRetryAt !== undefined) delay = Math.max(delay, entry.saveRetryAt - now);
    clearTimeout(entry.saveTimer);
    entry.saveTimer = setTimeout(() => {
      entry.saveTimer = undefined;
      void this.save(entry).catch(() => {});
    }, delay);
    entry.saveTimer.unref();
  }

  /**
   * Resolves once no save is writing either index of the entry (ShopVectorIndex.busy: the native
   * write reads the index on a thread-pool thread). The caller changes the indexes right after,
   * with no await in between; the indexes refuse changes while busy.
   */
  private async writable(entry: Entry): Promise<void> {
    while (entry.index.busy || entry.images.busy) await Promise.all([entry.index.whenWritable(), entry.images.whenWritable()]);
  }

  /** Saves the shop's snapshot; saves of one shop run one after the other. */
  save(entry: LiveCatalog): Promise<void> {
    const e = entry as Entry;
    const run = () => this.saveNow(e);
    // Keyed by shop, not entry: an entry evicted with a save pending and its reloaded successor
    // write the same files.
    const p = (this.saving.get(e.shop) ?? Promise.resolve()).then(run, run);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.saving.set(e.shop, settled);
    void settled.then(() => {
      if (this.saving.get(e.shop) === settled) this.saving.delete(e.shop);
    });
    return p;
  }

  /**
   * The sidecar's rows and statistics are captured first, with the two index objects they go with;
   * then each index captures its own state when its save starts, and is busy while its native
   * write runs (requests are served meanwhile; a refresh waits just for that, see writable). So
   * neither index is older than the sidecar: a product changed in between is reloaded at the next
   * start (its row version differs), and a crash in between only makes that start reload more.
   */
  private async saveNow(e: Entry): Promise<void> {
    // What follows captures every change so far: no other save is due for them.
    const pendingSince = e.unsavedSince ?? Date.now();
    clearTimeout(e.saveTimer);
    e.saveTimer = undefined;
    e.unsavedSince = undefined;
    try {
      await this.writeSnapshot(e);
      this.opts.observer?.snapshotSaved(true);
      e.saveFailures = 0;
      e.saveRetryAt = undefined;
    } catch (err) {
      // The changes are still only in memory (and in the database): try again, later each time, as
      // long as this process serves the shop. An evicted entry is not retried: its next load
      // rebuilds from the database what the snapshot lacks.
      e.saveFailures++;
      this.opts.observer?.snapshotSaved(false);
      const backoff = Math.min(this.opts.saveMaxWaitMs ?? SAVE_MAX_WAIT_MS, (this.opts.saveDelayMs ?? SAVE_DELAY_MS) * 2 ** (e.saveFailures - 1));
      const retrying = !this.closed && this.entries.get(e.shop) === e;
      console.warn(
        `[lookalike] could not save the index snapshot of ${e.shop} (failure ${e.saveFailures} in a row)${retrying ? `; next try in ${Math.round(backoff / 1000)} s` : ""}: ${errorSummary(err)}`,
      );
      if (retrying) {
        e.saveRetryAt = Date.now() + backoff;
        e.unsavedSince = Math.min(e.unsavedSince ?? pendingSince, pendingSince);
        this.scheduleSave(e);
      }
      throw err;
    }
  }

  private async writeSnapshot(e: Entry): Promise<void> {
    // The indexes with the statistics they were built with (a rebuild may swap in new ones meanwhile).
    const { index, images } = e;
    const ids = Array.from(e.cards.keys());
    const versions = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) versions[i] = e.rowVersions.get(ids[i]) ?? 0;
    const sidecar: SidecarHeader & { rows: SidecarColumns<LiveCard> } = {
      imageModelId: this.opts.imageModelId,
      textModelId: this.textModelId,
      version: e.version,
      imageMean: e.imageMean && { mean: Array.from(e.imageMean.mean), count: e.imageMean.count },
      facets: e.facets.groups,
      facetsCount: e.facets.count,
      facetShares: groupShares(e.facets),
      rows: { ids, versions, cards: Array.from(e.cards.values()) }, // cards are replaced, never changed in place
    };
    const dir = this.dir(e.shop);
    await mkdir(dir, { recursive: true });
    await index.save(dir);
    await images.save(this.imagesDir(e.shop));
    await writeSidecar(dir, sidecar);
    await rm(path.join(dir, "catalog.json"), { force: true }); // the single-JSON sidecar of earlier versions
    // shop/redact deletes the shop's rows, then its directory: a save that was running meanwhile
    // (in this process or another) must not put the shop's data back on disk. Checked after the
    // write, so whichever order the two finish in, the directory does not outlive the shop.
    if (!(await this.shopExists(e.shop))) await rm(dir, { recursive: true, force: true });
  }

  /** Whether the shop still has its row; true when the database cannot say (keep the files). */
  private async shopExists(shop: string): Promise<boolean> {
    try {
      return (await this.opts.db.shop.findUnique({ where: { domain: shop }, select: { domain: true } })) !== null;
    } catch {
      return true;
    }
  }
}
