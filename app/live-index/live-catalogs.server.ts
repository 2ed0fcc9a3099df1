/**
 * The web process' live index: each shop's searchable catalog in memory (live-catalog.ts), kept in
 * step with the database (the source of truth). This module is the shops' LRU under a memory
 * budget, the limit on shops opening at once, and the freshness loop; each step has its module:
 * refresh from the database (catalog-refresh.server.ts: row-diff, row-vectors, shop-statistics,
 * shop-state), snapshots (snapshot-files.server.ts, snapshot-saves.server.ts, the sidecar),
 * background rebuilds (weight-rebuild.server.ts), the budget (memory-budget.ts).
 *
 * Freshness: a worker that changes a product bumps Shop.catalogVersion and publishes it
 * (app/catalog/catalog-changed.server.ts); this process marks the shop dirty on that message,
 * re-checks the version at most once a second anyway, and marks every shop dirty after a Redis
 * reconnect, so no change is missed. While the database is unreachable a loaded shop is served as
 * last seen. Requests wait for a pending refresh, so a deleted product is never served after its
 * delete reached the database and the version was seen.
 */
import pLimit from "p-limit";
import { subscribeCatalogChanges, type CatalogSubscription } from "../catalog/catalog-events.server";
import type { Db } from "../db.server";
import { TEXT_DIM } from "../embedding/text/text-vector";
import { HASHED_TEXT_MODEL_ID } from "../embedding/vector-versions";
import { DEFAULT_GRAPH, type ChannelWeights, type GraphParams } from "../search/shop-vector-index.server";
import { errorSummary } from "../shared/error-text";
import { refreshEntry, type RefreshContext } from "./catalog-refresh.server";
import { graphOutdated, projectionDue, type IndexSpec } from "./index-spec";
import { DEFAULT_WEIGHTS, weightsKeyOf, type LiveCatalog, type LiveCatalogsObserver, type ShopEntry } from "./live-catalog";
import { estimatedBytes, maxOpeningFromEnv, memoryBudgetFromEnv, overBudget } from "./memory-budget";
import { readShopVersion } from "./shop-state.server";
import { clearEntry, newEntry } from "./shop-entry";
import { photosOfCards, readSnapshot, snapshotDir, writeSnapshot, type Snapshot } from "./snapshot-files.server";
import { DEFAULT_PROJECTION, type ProjectionConfig } from "./projection-config";
import { statisticsStale } from "./shop-statistics.server";
import { SnapshotSaves } from "./snapshot-saves.server";
import type { FetchResult, SnapshotStore } from "./snapshot-store.server";
import { rebuildInBackground } from "./weight-rebuild.server";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("live-index");

const VERSION_CHECK_MS = 1_000;

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
  /**
   * Learned projections for big shops (VECTOR_PROJECTION; default DEFAULT_PROJECTION; null: off).
   * A shop's index keeps the projection it was built with until its next full build.
   */
  projection?: ProjectionConfig | null;
  /**
   * The shared snapshot store (SNAPSHOT_STORE, snapshot-store.server.ts): a shop opened without a
   * local snapshot as new as the store's fetches it first, and every local save is published to it.
   * Absent: snapshots stay on this node's disk.
   */
  store?: SnapshotStore;
}

export class LiveCatalogs {
  /** In least-recently-used-first order (a hit moves the shop to the end). */
  private readonly entries = new Map<string, ShopEntry>();
  readonly evictions: { shop: string; at: number }[] = [];
  private readonly loading = new Map<string, Promise<ShopEntry>>();
  /** Runs `open` for at most `maxConcurrentOpens` shops at a time. */
  private readonly opening: ReturnType<typeof pLimit>;
  private readonly saves: SnapshotSaves;
  private readonly spec: IndexSpec;
  private readonly refreshing: RefreshContext;
  private subscription?: CatalogSubscription;
  private closed = false;
  /** Aborted by close(): a publish to the shared store stops between two pieces (a stop does not wait the 13–16 s of a 20k-product shop's). */
  private readonly stopping = new AbortController();

  constructor(private readonly opts: LiveCatalogsOptions) {
    this.spec = {
      imageModelId: opts.imageModelId,
      imageDim: opts.imageDim,
      textModelId: opts.textModelId ?? HASHED_TEXT_MODEL_ID,
      textDim: opts.textDim ?? TEXT_DIM,
      weights: opts.weights ?? DEFAULT_WEIGHTS,
      graph: opts.graph ?? DEFAULT_GRAPH,
      projection: opts.projection === undefined ? DEFAULT_PROJECTION : opts.projection,
    };
    this.opening = pLimit(opts.maxConcurrentOpens ?? maxOpeningFromEnv());
    this.saves = new SnapshotSaves({
      write: (e) => this.write(e),
      serves: (e) => !this.closed && this.entries.get(e.shop) === e,
      observer: opts.observer,
      saveDelayMs: opts.saveDelayMs,
      saveMaxWaitMs: opts.saveMaxWaitMs,
    });
    this.refreshing = {
      db: opts.db,
      spec: this.spec,
      fullDiffPageSize: opts.fullDiffPageSize,
      changed: (e) => this.saves.schedule(e),
      clear: (e) => clearEntry(this.spec, e),
      rebuild: (e, weights) =>
        rebuildInBackground(this.spec, e, weights, {
          load: (fresh) => refreshEntry(this.refreshing, fresh, false),
          swapped: (swapped) => {
            this.measure(swapped);
            this.saves.schedule(swapped);
          },
        }),
    };
  }

  /** Listens for catalog changes (app/catalog/catalog-events.server.ts) on Redis. */
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

  /**
   * The shop's catalog, fresh to within about a second. `photos: false` (similar products only):
   * without waiting for the per-photo index of a shop just opened from its snapshot, which is read
   * after the rest (`images` is empty until then); every other caller gets it read.
   */
  async get(shop: string, opts: { photos?: boolean } = {}): Promise<LiveCatalog> {
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
    if (opts.photos !== false && entry.imagesLoading) await entry.imagesLoading;
    return entry;
  }

  private lastStaleWarning = 0;
  private warnStale(shop: string, err: unknown): void {
    if (Date.now() - this.lastStaleWarning < 10_000) return;
    this.lastStaleWarning = Date.now();
    log.warn({ shop }, `could not refresh the catalog of ${shop}, serving it from memory: ${errorSummary(err)}`);
  }

  /** Loaded shops and their estimated bytes (LRU first). */
  loaded(): { shop: string; bytes: number }[] {
    return [...this.entries.values()].map((e) => ({ shop: e.shop, bytes: e.bytes }));
  }

  /** Drops least recently used shops (never `keep`) until the estimate fits the budget. */
  private enforceBudget(keep: ShopEntry): void {
    for (const e of overBudget(this.entries.values(), this.opts.memoryBudgetBytes ?? memoryBudgetFromEnv(), keep)) {
      this.entries.delete(e.shop);
      e.index.retire();
      this.evictions.push({ shop: e.shop, at: Date.now() });
      if (this.evictions.length > 1000) this.evictions.splice(0, 500);
      if (e.saveTimer) void this.saves.save(e).catch(() => {}); // unsaved changes (save clears the timer)
    }
  }

  private measure(entry: ShopEntry): void {
    entry.bytes = estimatedBytes(entry);
  }

  /** Saves the shop's snapshot; saves of one shop run one after the other. */
  save(entry: LiveCatalog): Promise<void> {
    return this.saves.save(entry as ShopEntry);
  }

  /** Stops listening and cancels pending saves; resolves once the saves already running are done. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    await this.subscription?.close();
    await this.saves.close(this.entries.values());
  }

  private timedOpen(shop: string): Promise<ShopEntry> {
    const start = performance.now();
    const done = (ok: boolean) => this.opts.observer?.shopOpened((performance.now() - start) / 1000, ok);
    return this.open(shop).then(
      (e) => (done(true), e),
      (err: unknown) => (done(false), Promise.reject(err)),
    );
  }

  /**
   * Writes the entry's snapshot to disk, then publishes it to the shared store (when there is one).
   * Runs in the shop's chain of saves, off the request path; a publish that fails leaves the local
   * save done (the next save publishes again; a node without it rebuilds from the database).
   */
  private async write(e: ShopEntry): Promise<void> {
    if (e.imagesLoading) await e.imagesLoading; // never save the stand-in for the photo index
    await writeSnapshot(this.spec, this.opts.dataDir, this.opts.db, e);
    if (!this.opts.store || e.version < 0) return;
    await this.opts.store.publish(e.shop, snapshotDir(this.opts.dataDir, e.shop), this.stopping.signal).catch((err: unknown) => {
      if (this.stopping.signal.aborted) log.info({ shop: e.shop }, `stopped publishing the snapshot of ${e.shop} (the process is stopping; the next save publishes it)`);
      else log.warn({ shop: e.shop }, `could not publish the snapshot of ${e.shop} to the store: ${errorSummary(err)}`);
    });
  }

  private async open(shop: string): Promise<ShopEntry> {
    const entry = newEntry(this.spec, shop);
    const fetched: FetchResult | undefined = await this.opts.store?.fetch(shop, snapshotDir(this.opts.dataDir, shop));
    const loaded = await readSnapshot(this.spec, this.opts.dataDir, shop);
    if (loaded) {
      const { photos, ...rest } = loaded;
      Object.assign(entry, rest, { weightsKey: weightsKeyOf(loaded.index.weights) });
      const loading: Promise<void> = this.adoptPhotos(entry, entry.images, photos)
        .catch((err: unknown) => log.error({ err, shop }, `could not take the photo index of ${shop} from its snapshot`))
        .finally(() => {
          if (entry.imagesLoading === loading) entry.imagesLoading = undefined;
        });
      entry.imagesLoading = loading;
    }
    this.entries.set(shop, entry);
    try {
      await this.refresh(entry);
    } catch (err) {
      // The shop's settings, rules and install state live only in the database: nothing to serve yet.
      this.entries.delete(shop);
      throw err;
    }
    const source = !loaded ? "none" : fetched?.status === "fetched" ? "store" : "disk";
    const fromSnapshot = loaded?.cards.size ?? 0;
    log.info(
      { shop, snapshot: source, fromSnapshot, rowsLoaded: entry.rowsLoaded, products: entry.cards.size },
      `opened ${shop}: ${fromSnapshot} products from its snapshot (${source}), ${entry.rowsLoaded} rows loaded from the database`,
    );
    this.measure(entry);
    this.enforceBudget(entry);
    return entry;
  }

  /**
   * Puts the snapshot's per-photo index in the place of the stand-in an entry opened with, unless
   * a rebuild or a clear replaced the stand-in meanwhile; the products it lacks are read again by
   * the next refresh. Unreadable: both indexes are rebuilt from the database in the background.
   */
  private async adoptPhotos(entry: ShopEntry, standIn: ShopEntry["images"], photos: Snapshot["photos"]): Promise<void> {
    const images = await photos;
    if (entry.images !== standIn) return;
    if (!images) {
      log.warn({ shop: entry.shop }, `the photo index of ${entry.shop} in its snapshot could not be read: rebuilding the shop's indexes from the database`);
      entry.imagesLoading = undefined; // the rebuild reads the photos itself
      this.refreshing.rebuild(entry, entry.index.weights);
      return;
    }
    const missing = await photosOfCards(images, entry.cards);
    if (entry.images !== standIn) return;
    entry.images = images;
    entry.imagesLoading = undefined;
    if (missing.length > 0) {
      for (const id of missing) entry.toReload.add(id);
      entry.dirty = true;
    }
    if (!entry.rebuilding && (statisticsStale(entry) || graphOutdated(this.spec, entry) || projectionDue(this.spec, entry))) this.refreshing.rebuild(entry, entry.index.weights);
    this.measure(entry);
    this.enforceBudget(entry);
  }

  private async refreshIfChanged(entry: ShopEntry): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    entry.checkedAt = Date.now();
    const shop = await readShopVersion(this.opts.db, entry.shop);
    if (!shop) {
      clearEntry(this.spec, entry);
      return;
    }
    entry.installed = !shop.uninstalledAt; // an uninstall need not bump the version
    if (shop.catalogVersion === entry.version && !entry.dirty) return;
    await this.refresh(entry);
  }

  private refresh(entry: ShopEntry): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    const publishedAt = entry.changePublishedAt;
    entry.changePublishedAt = undefined;
    entry.refreshing = refreshEntry(this.refreshing, entry)
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
}
