/**
 * The storefront's series, registered by the server build (app/web-services.server.ts) in the
 * process registry that server.ts serves. Counters the code keeps anyway (ResultCache.hits, the
 * planner's plan counts, Admission) are read at scrape time; what happens inside LiveCatalogs
 * (shop opens, snapshot saves, catalog changes applied) comes through its observer.
 * No label carries a shop, a product or a URL: live catalogs are exported as totals.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { LiveCatalogsObserver } from "../live-index/live-catalog";
import { put } from "./registry.server";

export interface StorefrontSources {
  /** The result cache, once the first request made it (its hits by layer). */
  cacheHits(): { lru: number; redis: number; miss: number } | undefined;
  /** Plans the search planner chose, by kind (search-planner.ts › planCounts). */
  plans: Readonly<Record<string, number>>;
  /** By-product searches asked to use the stored neighbour lists, by outcome (shop-vector-index.server.ts › storedListCounts). */
  storedLists: Readonly<Record<string, number>>;
  /** Photo searches running, and refused with 503 busy (admission.server.ts). */
  admission(): { running: number; refused: number; limit: number };
  /** Loaded shops and their estimated bytes, once the live catalogs exist. */
  loaded(): Promise<{ shop: string; bytes: number }[]> | undefined;
}

/** The loaded shops, or none when the live catalogs are not started or failed to start. */
const loadedOrNone = (sources: StorefrontSources) => Promise.resolve(sources.loaded()).then((l) => l ?? [], () => []);

const counterFrom = (registry: Registry, name: string, help: string, label: string, read: () => Record<string, number> | undefined) =>
  put(registry, new Counter({
    name, help, labelNames: [label], registers: [],
    collect() {
      const values = read();
      if (!values) return;
      this.reset();
      for (const [k, v] of Object.entries(values)) this.inc({ [label]: k }, v);
    },
  }));

/** Registers the storefront's scrape-time series. */
export function registerStorefrontMetrics(registry: Registry, sources: StorefrontSources): void {
  counterFrom(registry, "lookalike_result_cache_lookups_total", "Result-cache lookups of /proxy/similar by where the answer came from (lru, redis, miss).", "layer", sources.cacheHits);
  counterFrom(registry, "lookalike_search_plans_total", "Searches of the combined index by the planner's plan (hnsw, filtered-hnsw, exact).", "plan", () => sources.plans);
  counterFrom(registry, "lookalike_similar_stored_lists_total", "Similar-products searches by whether a stored neighbour list answered (answered) or the index was searched (searched).", "outcome", () => sources.storedLists);
  counterFrom(registry, "lookalike_photo_admissions_refused_total", "Photo searches refused with 503 busy (PHOTO_SEARCH_MAX_IN_FLIGHT running).", "reason", () => ({ busy: sources.admission().refused }));
  put(registry, new Gauge({ name: "lookalike_photo_searches_in_flight", help: "Photo searches running now.", registers: [], collect() { this.set(sources.admission().running); } }));
  put(registry, new Gauge({ name: "lookalike_photo_searches_max_in_flight", help: "PHOTO_SEARCH_MAX_IN_FLIGHT.", registers: [], collect() { this.set(sources.admission().limit); } }));
  put(registry, new Gauge({
    name: "lookalike_live_shops", help: "Shops whose catalog this web process holds in memory.", registers: [],
    async collect() { this.set((await loadedOrNone(sources)).length); },
  }));
  put(registry, new Gauge({
    name: "lookalike_live_catalog_bytes", help: "Estimated memory of every loaded shop's indexes and cards (LIVE_CATALOGS_MAX_MB budgets it).", registers: [],
    async collect() { this.set((await loadedOrNone(sources)).reduce((s, e) => s + e.bytes, 0)); },
  }));
}

/** The LiveCatalogs observer: shop opens, snapshot saves, and the lag of catalog changes. */
export function liveCatalogsMetrics(registry: Registry): LiveCatalogsObserver {
  const opens = put(registry, new Counter({ name: "lookalike_shop_opens_total", help: "Shops opened (snapshot read and checked, catch-up with the database), by outcome (ok, error).", labelNames: ["outcome"], registers: [] }));
  const openSeconds = put(registry, new Histogram({
    name: "lookalike_shop_open_duration_seconds", help: "Time to open a shop (not counting the wait for an opening slot).", registers: [],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  }));
  const saves = put(registry, new Counter({ name: "lookalike_snapshot_saves_total", help: "Index snapshot saves, by outcome (ok, failed).", labelNames: ["outcome"], registers: [] }));
  const lag = put(registry, new Histogram({
    name: "lookalike_catalog_change_lag_seconds",
    help: "From a catalog change published (pub/sub message) to its being applied in this web process (at the shop's next request or version check).",
    registers: [], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  }));
  for (const outcome of ["ok", "error"]) opens.inc({ outcome }, 0);
  for (const outcome of ["ok", "failed"]) saves.inc({ outcome }, 0);
  return {
    shopOpened: (seconds, ok) => {
      opens.inc({ outcome: ok ? "ok" : "error" });
      if (ok) openSeconds.observe(seconds);
    },
    snapshotSaved: (ok) => saves.inc({ outcome: ok ? "ok" : "failed" }),
    changeApplied: (lagSeconds) => lag.observe(Math.max(0, lagSeconds)),
  };
}
