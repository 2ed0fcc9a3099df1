/**
 * The Prometheus metric names the operators' view agreed on: the web and worker processes export
 * them (docs/metrics.md), ops/grafana/lookalike.json and docs/operations.md read them. One list,
 * so a renamed metric fails `app/ops/grafana-dashboard.test.ts` instead of leaving a blank panel.
 *
 * Histograms are listed by their base name; Prometheus adds `_bucket`, `_sum` and `_count`.
 */
export const METRIC_NAMES = {
  /** Histogram, labels `route`, `status_class` (2xx, 4xx, 5xx): every answer of the web process. */
  httpRequestDuration: "lookalike_http_request_duration_seconds",
  /** Counter, label `layer` = `lru` | `redis` | `miss`: result-cache lookups of storefront searches. */
  resultCacheLookups: "lookalike_result_cache_lookups_total",
  /** Gauge, labels `queue`, `state` (waiting, active, delayed, failed, …): BullMQ job counts. */
  queueJobs: "lookalike_queue_jobs",
  /** Counter, label `outcome` (embedded, skipped, failed, error): embed job attempts in workers. */
  embedJobs: "lookalike_embed_jobs_total",
  /** Histogram: how long one embed job took in a worker. */
  embedJobDuration: "lookalike_embed_job_duration_seconds",
  /** Gauge: shops whose index is in this web process's memory. */
  liveShops: "lookalike_live_shops",
  /** Gauge: estimated bytes of those indexes (the LIVE_CATALOGS_MAX_MB budget). */
  liveCatalogBytes: "lookalike_live_catalog_bytes",
  /** Counter: photo searches answered 503 busy (PHOTO_SEARCH_MAX_IN_FLIGHT). */
  photoAdmissionsRefused: "lookalike_photo_admissions_refused_total",
  /** Counter, label `outcome` (ok, failed): index snapshot saves. */
  snapshotSaves: "lookalike_snapshot_saves_total",
  /** Gauge (prom-client default metrics): event-loop delay p99. */
  eventLoopLagP99: "nodejs_eventloop_lag_p99_seconds",
  /** Gauge (prom-client default metrics): resident set size. */
  processResidentMemory: "process_resident_memory_bytes",
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

export const ALL_METRIC_NAMES: readonly MetricName[] = Object.values(METRIC_NAMES);

/** Names the metric families may appear under in PromQL: histograms add _bucket/_sum/_count. */
export const HISTOGRAM_METRIC_NAMES: readonly MetricName[] = [METRIC_NAMES.httpRequestDuration, METRIC_NAMES.embedJobDuration];

/** True when `series` (a name as written in a query) is one of ours, a histogram's series included. */
export function isKnownSeries(series: string): boolean {
  if ((ALL_METRIC_NAMES as readonly string[]).includes(series)) return true;
  return HISTOGRAM_METRIC_NAMES.some((h) => series === `${h}_bucket` || series === `${h}_sum` || series === `${h}_count`);
}

/**
 * The label values the dashboard's queries match on (a query matching a value no process exports
 * shows an empty panel, silently). `app/ops/grafana-dashboard.test.ts` checks every matcher on
 * these labels against these lists.
 */
export const METRIC_LABEL_VALUES = {
  /** lookalike_http_request_duration_seconds */
  status_class: ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted"],
  /** lookalike_result_cache_lookups_total */
  layer: ["lru", "redis", "miss"],
  /** lookalike_queue_jobs: BullMQ's job states (Queue.getJobCounts). */
  state: ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed", "paused"],
  /** lookalike_embed_jobs_total and lookalike_snapshot_saves_total */
  outcome: ["embedded", "skipped", "failed", "error", "ok"],
} as const satisfies Record<string, readonly string[]>;
