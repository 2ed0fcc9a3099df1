/**
 * The worker's series: embed jobs by outcome and duration, photos that could not be fetched or
 * read by cause, queue depths (read from BullMQ at scrape time), and prom-client's default
 * process metrics. Served on WORKER_METRICS_PORT (metrics-server.server.ts).
 */
import type { Job, Queue } from "bullmq";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { ImageFetchError, type ImageFetchErrorCode } from "../catalog/image-fetch.server";
import { defaultMetricsOnce, put } from "./registry.server";

export const IMAGE_FAILURE_CAUSES: readonly (ImageFetchErrorCode | "unreadable")[] = ["refused", "not_found", "timeout", "too_large", "http_error", "network", "unreadable"];
/** A job's result status (EmbedProductResult), or `error`: it threw and BullMQ retries it (or gives up). */
export const EMBED_OUTCOMES = ["embedded", "skipped", "failed", "error"] as const;
const QUEUE_READ_TIMEOUT_MS = 2_000;
export const QUEUE_STATES = ["waiting", "active", "delayed", "failed", "prioritized", "waiting-children"] as const;

export interface WorkerMetrics {
  /** The embed processor, timed and counted by outcome. */
  embedProcessor<R extends { status: string }>(run: (job: Job) => Promise<R>): (job: Job) => Promise<R>;
  /** A photo that could not be fetched (ImageFetchError's code) or read (`unreadable`). */
  imageError(err: Error): void;
}

const OFF: WorkerMetrics = { embedProcessor: (run) => run, imageError: () => {} };

export function workerMetrics(registry: Registry, opts: { enabled: boolean; queues: Queue[] }): WorkerMetrics {
  if (!opts.enabled) return OFF;
  defaultMetricsOnce(registry);
  const jobs = put(registry, new Counter({ name: "lookalike_embed_jobs_total", help: "Embed job attempts by outcome (embedded, skipped, failed, error = threw, retried by BullMQ).", labelNames: ["outcome"], registers: [] }));
  const seconds = put(registry, new Histogram({
    name: "lookalike_embed_job_duration_seconds", help: "Embed job attempts' duration (fetch, decode, model, database write), by outcome.", labelNames: ["outcome"], registers: [],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }));
  const images = put(registry, new Counter({ name: "lookalike_image_fetch_failures_total", help: "Product photos the worker could not fetch (refused, not_found, timeout, too_large, http_error, network) or read (unreadable).", labelNames: ["cause"], registers: [] }));
  for (const outcome of EMBED_OUTCOMES) jobs.inc({ outcome }, 0);
  for (const cause of IMAGE_FAILURE_CAUSES) images.inc({ cause }, 0);
  put(registry, new Gauge({
    name: "lookalike_queue_jobs", help: "Jobs in each BullMQ queue by state (read from Redis at scrape time).", labelNames: ["queue", "state"], registers: [],
    async collect() {
      // Redis unreachable (BullMQ's connection waits for it): the series go absent for this
      // scrape rather than holding it up or failing the whole scrape.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, QUEUE_READ_TIMEOUT_MS, undefined)));
      const read = Promise.all(opts.queues.map((q) => q.getJobCounts(...QUEUE_STATES))).catch(() => undefined);
      const counts = await Promise.race([read, timeout]).finally(() => clearTimeout(timer));
      this.reset();
      if (!counts) return;
      opts.queues.forEach((q, i) => {
        for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, counts[i][state] ?? 0);
      });
    },
  }));
  return {
    embedProcessor: (run) => async (job) => {
      const start = performance.now();
      let outcome = "error";
      try {
        const result = await run(job);
        outcome = (EMBED_OUTCOMES as readonly string[]).includes(result.status) ? result.status : "error";
        return result;
      } finally {
        jobs.inc({ outcome });
        seconds.observe({ outcome }, (performance.now() - start) / 1000);
      }
    },
    imageError: (err) => images.inc({ cause: err instanceof ImageFetchError ? err.code : "unreadable" }),
  };
}
