/**
 * A small HTTP listener of its own for `GET /metrics` (Prometheus text format), used by the web
 * process (METRICS_PORT) and the worker (WORKER_METRICS_PORT). On its own port, so it is never
 * reachable through Shopify's app proxy (which forwards /proxy/* of the web port only).
 *
 * METRICS_TOKEN, when set: a request without `Authorization: Bearer <token>` gets a bare 401
 * (no body, nothing about the metrics). Anything but GET/HEAD /metrics is a bare 404/405.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { Registry } from "prom-client";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("metrics");

export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  host?: string;
  /** Required bearer token; undefined or "" = open. */
  token?: string;
  /** Where a listen error (port taken) is said, in one line; the process goes on without metrics. */
  log?: (line: string) => void;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether the Authorization header carries exactly the token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  return !!m && timingSafeEqual(digest(m[1]), digest(token));
}

export function createMetricsServer(opts: Pick<MetricsServerOptions, "registry" | "token">): http.Server {
  const server = http.createServer((req, res) => {
    const bare = (status: number, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Length": "0", "Cache-Control": "no-store", ...headers });
      res.end();
    };
    const pathname = (req.url ?? "/").split("?")[0];
    if (opts.token && !bearerMatches(req.headers.authorization, opts.token)) return bare(401, { "WWW-Authenticate": "Bearer" });
    if (pathname !== "/metrics") return bare(404);
    if (req.method !== "GET" && req.method !== "HEAD") return bare(405, { Allow: "GET, HEAD" });
    opts.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": opts.registry.contentType, "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text) });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        log.error(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}`);
        bare(500);
      },
    );
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  return server;
}

/** Starts the listener (port 0 = off: returns undefined). A port already taken is logged, not fatal. */
export function startMetricsServer(opts: MetricsServerOptions): http.Server | undefined {
  if (!opts.port) return undefined;
  const say = opts.log ?? ((line: string) => log.info(line));
  const server = createMetricsServer(opts);
  server.on("error", (err: NodeJS.ErrnoException) => say(`metrics not served on port ${opts.port}: ${err.code ?? err.message}`));
  const onListen = () => say(`metrics on http://localhost:${opts.port}/metrics${opts.token ? " (bearer token required)" : ""}`);
  if (opts.host) server.listen(opts.port, opts.host, onListen);
  else server.listen(opts.port, onListen);
  server.unref();
  return server;
}
