/**
 * The process' metric registry: prom-client's default `register` (one per process, shared by
 * server.ts and the Remix server build because prom-client is external to the build), and how
 * our modules put a metric in it. `METRICS=0` turns every collection off (no metric is
 * registered, nothing is observed, no metrics port is opened).
 */
import { collectDefaultMetrics, register, type Metric, type Registry } from "prom-client";

export { register as processRegistry };
export type { Registry };

export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.METRICS !== "0";
}

/**
 * Registers `metric`, replacing one of the same name: a module evaluated twice in one process
 * (the server build and a test importing the same file) must not throw "already registered";
 * the latest owner's callbacks are the ones read.
 */
export function put<T extends Metric>(registry: Registry, metric: T): T {
  const name = (metric as unknown as { name: string }).name;
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  registry.registerMetric(metric);
  return metric;
}

/** Port from the environment: a non-negative integer, else the default; 0 means off. */
export function metricsPortFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n < 65_536 ? n : fallback;
}

/** prom-client's default metrics (process CPU/memory/fds, heap, GC, event-loop lag), once per registry. */
export function defaultMetricsOnce(registry: Registry): void {
  if (!registry.getSingleMetric("nodejs_eventloop_lag_seconds")) collectDefaultMetrics({ register: registry });
}
