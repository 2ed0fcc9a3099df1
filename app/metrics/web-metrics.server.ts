/**
 * Metrics of the web entry (server.ts): request duration by route and status class, requests
 * refused before any route (the RefusalLog kinds), and prom-client's default process metrics
 * (CPU, memory, GC, event-loop lag `nodejs_eventloop_lag_*`). The storefront's own series
 * (cache, plans, live catalogs…) are registered by the server build: storefront-metrics.server.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Histogram, type Registry } from "prom-client";
import { routeOf, statusClass } from "./http-routes";
import { defaultMetricsOnce, put } from "./registry.server";

/** What server.ts refuses (request-target.server.ts, body-reader.server.ts, server.ts itself). */
export const REFUSAL_KINDS = [
  "method", "uri-too-long", "bad-target", "bad-host", "bad-length", "body-too-large", "body-timeout", "body-aborted", "body-budget",
  "uploads-per-client", "malformed-400", "malformed-408", "malformed-431",
] as const;
const KNOWN_KINDS = new Set<string>(REFUSAL_KINDS);

export const REQUEST_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface WebMetrics {
  /** Call when a request arrives; its duration is observed when the response ends or the client goes. */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** Wraps a refusal log so each refusal is also counted by kind. */
  counting<L extends { note(kind: string, detail: string, fields?: Record<string, unknown>): void }>(log: L): L;
}

const OFF: WebMetrics = { request: () => {}, counting: (log) => log };

export function webMetrics(registry: Registry, opts: { enabled: boolean; isStatic?: (pathname: string) => boolean }): WebMetrics {
  if (!opts.enabled) return OFF;
  defaultMetricsOnce(registry);
  const seconds = put(registry, new Histogram({
    name: "lookalike_http_request_duration_seconds",
    help: "Web requests from arrival to the end of the response, by route (a fixed set) and status class; _count is the request count.",
    labelNames: ["route", "status_class"] as const,
    buckets: REQUEST_SECONDS_BUCKETS,
    registers: [],
  }));
  const refused = put(registry, new Counter({
    name: "lookalike_http_refusals_total",
    help: "Requests the web entry refused before any route (bad head, body over its cap or deadline, body budget, uploads per client), by kind.",
    labelNames: ["kind"] as const,
    registers: [],
  }));
  for (const kind of REFUSAL_KINDS) refused.inc({ kind }, 0); // every kind present from the start
  // Children cached by "route status": prom-client's labels() hashes its arguments on every call.
  const children = new Map<string, ReturnType<typeof seconds.labels>>();
  const isStatic = opts.isStatic;
  return {
    request(req, res) {
      const start = performance.now();
      let seen = false;
      // "finish": the answer is written (a refusal's socket may linger a second more); "close" alone: the client went.
      const done = () => {
        if (seen) return;
        seen = true;
        const url = req.url ?? "/";
        const q = url.indexOf("?");
        const route = routeOf(q >= 0 ? url.slice(0, q) : url, isStatic);
        const cls = statusClass(res.statusCode, res.writableFinished);
        const key = `${route} ${cls}`;
        let child = children.get(key);
        if (!child) children.set(key, (child = seconds.labels(route, cls)));
        child.observe((performance.now() - start) / 1000);
      };
      res.once("finish", done);
      res.once("close", done);
    },
    counting(log) {
      const note = log.note.bind(log);
      log.note = (kind: string, detail: string, fields?: Record<string, unknown>) => {
        refused.inc({ kind: KNOWN_KINDS.has(kind) ? kind : "other" });
        note(kind, detail, fields);
      };
      return log;
    },
  };
}
