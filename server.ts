/**
 * Production web entry (`npm run start`): one node:http server.
 *
 * - GET/HEAD /proxy/similar — the storefront's hot route — is answered straight from node:http by
 *   the same handler the Remix route uses (`similarRaw` in app/storefront/proxy-handlers.server.ts,
 *   exported as `fastSimilar` by app/entry.server.tsx and read from the server build's
 *   `entry.module`, so there is one module graph and one set of live catalogs): no Express, no
 *   compression, no request logging, no fetch Request/Response.
 * - Files of the client build (build/client) are served from disk (`/assets/*` immutable).
 * - Everything else goes to Remix's request handler (`createRequestHandler` from @remix-run/node)
 *   through a small node:http ↔ fetch adapter (the one @remix-run/express uses, without Express).
 *
 * - Nothing a client sends throws out of the request path: a method, request target or Host it
 *   cannot take is a 405/414/400 (app/http/request-target.server.ts), a head Node's parser refuses
 *   is a bare 400/431 (`clientError`), each noted in one rate-limited line (refusal-log.server.ts).
 * - Every non-GET body is read here, before Remix sees it, with the route's cap and deadline and a
 *   process-wide budget of body bytes held (app/http/body-limits.ts, body-reader.server.ts): past
 *   them 413 / 408 / 503, connection closed. Photo uploads: at most PHOTO_UPLOADS_PER_CLIENT at once
 *   per client address (429 past it).
 * - /ops/queues is the operators' queue dashboard (app/ops/queue-dashboard.server.ts), after the head checks
 *   and before any body is read: its own auth (OPS_USER/OPS_PASSWORD or OPS_TOKEN), 404 without them.
 * - The client's address (app/http/client-address.server.ts, TRUSTED_PROXY_HOPS) is handed to Remix
 *   as the load context (`context.clientAddress`) and to the fast /proxy/similar path.
 *
 * Environment: PORT (3000), HOST (all interfaces), TRUSTED_PROXY_HOPS (1), BODY_BUFFER_BUDGET_BYTES
 * (256 MB), PHOTO_UPLOAD_DEADLINE_MS (20000), PHOTO_UPLOADS_PER_CLIENT (4), SHUTDOWN_GRACE_MS (10000), SHUTDOWN_IDLE_MS (1000), EVENT_LOOP_STATS_MS
 * (off; when set, one `event-loop` line per interval: max/p99 delay, RSS and, on Linux,
 * the main thread's CPU time and run-queue wait — for soak runs), METRICS_PORT (9463; 0 = off),
 * METRICS_TOKEN, METRICS (0 = no metrics at all; app/metrics/), LOG_FORMAT / LOG_LEVEL (app/logging/logger.server.ts),
 * plus everything app/config.server.ts reads.
 *
 * Every request has an id: the client's X-Request-Id when it is a safe token (≤ 64 characters of
 * [A-Za-z0-9._-]), else a new UUID. It is echoed in the answer's X-Request-Id and is the `reqId` of
 * every log line about the request (refusals, proxy errors, webhooks): the handlers get a child
 * logger through the Remix load context (`context.log`) or as fastSimilar's argument.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequestHandler, writeReadableStreamToWritable, type ServerBuild } from "@remix-run/node";
import { readConfig } from "./app/config.server";
import { bodyLimitFor } from "./app/http/body-limits";
import { BodyRefusedError, bodyBudgetFromEnv, readBody } from "./app/http/body-reader.server";
import { clientAddress as clientAddressOf, trustedProxyHopsFromEnv } from "./app/http/client-address.server";
import { KeyedConcurrency, photoUploadsPerClientFromEnv } from "./app/http/keyed-concurrency";
import type { LookalikeLoadContext } from "./app/http/load-context";
import { oneLine, RefusalLog } from "./app/http/refusal-log.server";
import { answerHealth, HEALTH_PATHS } from "./app/http/health.server";
import { moduleLogger, requestIdOf, type Logger } from "./app/logging/logger.server";
import { ALLOW_HEADER, requestTarget, type Refusal } from "./app/http/request-target.server";
import { startMetricsServer } from "./app/metrics/metrics-server.server";
import { metricsEnabled, metricsPortFromEnv, processRegistry } from "./app/metrics/registry.server";
import { webMetrics } from "./app/metrics/web-metrics.server";
import { preflightOrExit } from "./app/preflight.server";
import { queueDashboard } from "./app/ops/queue-dashboard.server";
import type { RawResponse } from "./app/storefront/proxy-handlers.server";
import type * as ServerEntry from "./app/entry.server";

/** What app/entry.server.tsx exports for this entry, besides Remix's own entry exports. */
type EntryHooks = Pick<typeof ServerEntry, "fastSimilar" | "shutdown" | "readiness">;

const log = moduleLogger("web");
const ROOT = path.dirname(fileURLToPath(import.meta.url));
process.env.NODE_ENV ??= "production";
const buildPath = path.resolve(ROOT, process.argv[2] ?? "build/server/index.js");
if (!existsSync(buildPath)) {
  log.fatal(`No production build at ${buildPath}: run \`npm run build\` first.`);
  process.exit(1);
}
await preflightOrExit(readConfig());
const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
const remix = createRequestHandler(build, process.env.NODE_ENV);
const entry = build.entry.module as ServerBuild["entry"]["module"] & Partial<EntryHooks>;
const fastSimilar = entry.fastSimilar;
if (!fastSimilar) log.warn("the server build's entry exports no fastSimilar; /proxy/similar goes through Remix");

// ---------------------------------------------------------------------------
// Static files of the client build (immutable per build: listed once at start).

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
};
const staticFiles = new Map<string, { file: string; size: number }>();
function listStatic(dir: string, urlPrefix: string) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const url = `${urlPrefix}${encodeURIComponent(entry.name)}`;
    if (entry.isDirectory()) listStatic(file, `${url}/`);
    else if (entry.isFile() && !staticFiles.has(url)) staticFiles.set(url, { file, size: statSync(file).size });
  }
}
listStatic(path.resolve(path.dirname(buildPath), "..", "client"), build.publicPath || "/");
listStatic(path.join(ROOT, "public"), "/");

function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  const hit = staticFiles.get(pathname);
  if (!hit) return false;
  res.writeHead(200, {
    "Content-Type": TYPES[path.extname(hit.file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": hit.size,
    "Cache-Control": pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "public, max-age=3600",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(hit.file).pipe(res);
  return true;
}

// ---------------------------------------------------------------------------
// node:http ↔ fetch adapter for Remix

/** A fetch Request over the target requestTarget() built and the body readBody() already holds. */
function toRequest(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer | undefined): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (name === "transfer-encoding" || name === "content-length") continue;
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  let controller: AbortController | null = new AbortController();
  const init: RequestInit = { method: req.method, headers, signal: controller.signal };
  if (body) {
    headers.set("content-length", String(body.length));
    init.body = body as unknown as ArrayBuffer; // undici takes a Buffer as it is (no copy)
  }
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  return new Request(url, init);
}

async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of response.headers) if (k !== "set-cookie") headers[k] = v;
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (/text\/event-stream/i.test(response.headers.get("content-type") ?? "")) res.flushHeaders();
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}

// ---------------------------------------------------------------------------

/**
 * What the process refused, answered in a few bytes with `Connection: close` (a body we did not
 * read is then dropped as the socket closes) and noted in one rate-limited log line.
 */
function refuse(req: IncomingMessage, res: ServerResponse, r: Refusal, reqId: string): void {
  refusals.note(r.kind, `${r.status} ${r.detail} (${req.socket?.remoteAddress ?? "?"})`, { reqId });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The storefront's JSON error shape (app/storefront/proxy-errors.server.ts), for every route.
  const text = JSON.stringify({ error: { code: r.code ?? CODES[r.status] ?? "refused", message: r.message ?? MESSAGES[r.status] ?? STATUS_CODES[r.status] ?? "Refused." } });
  if (!req.complete) lingerOnClose(req.socket);
  res.writeHead(r.status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text), Connection: "close", ...r.headers });
  res.end(req.method === "HEAD" ? undefined : text);
}

const CODES: Record<number, string> = { 400: "bad_request", 405: "method_not_allowed", 408: "request_timeout", 413: "too_large", 414: "uri_too_long", 429: "too_many_uploads", 503: "busy" };
const MESSAGES: Record<number, string> = {
  400: "The request could not be read.",
  405: "This method is not allowed here.",
  408: "The request took too long to arrive; please try again.",
  413: "The request body is too large.",
  414: "The request URL is too long.",
  429: "Too many uploads at once; please wait for the others to finish.",
  503: "The server is busy; please try again in a moment.",
};

const LINGER_MS = 1_000;
/**
 * …and at most this many bytes: reading and dropping at loopback speed cost the main thread most of
 * a core in the hostile mix (hundreds of refused 256 MB bodies, each drained for a whole second).
 */
const LINGER_MAX_BYTES = 1024 * 1024;

/**
 * A client still sending a body we refused: closing the socket at once with its bytes unread
 * makes the kernel send a reset, and the client loses our answer with it. Node closes the socket
 * as soon as the answer is written (`destroySoon`); instead half-close it (our FIN after the
 * answer), keep reading and dropping what still arrives (Node dumps the request) for LINGER_MS
 * or LINGER_MAX_BYTES (then stop reading until LINGER_MS), then close. Memory stays flat: nothing is kept.
 */
function lingerOnClose(socket: net.Socket): void {
  (socket as net.Socket & { destroySoon: () => void }).destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    let drained = 0;
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      // Past the cap, stop reading instead of closing: TCP flow control then holds the client (no
      // CPU spent on it here), and it still has until LINGER_MS to read our answer.
      if (drained > LINGER_MAX_BYTES) socket.pause();
    };
    socket.on("data", onData);
    socket.once("close", () => {
      clearTimeout(timer);
      socket.off("data", onData);
    });
  };
}

/** A head we answer on the raw socket (Node's parser refused it, or CONNECT): half-close, then close. */
function answerRaw(socket: net.Socket, status: number, extra = ""): void {
  socket.on("error", () => {});
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function writeRaw(req: IncomingMessage, res: ServerResponse, raw: RawResponse): void {
  res.writeHead(raw.status, { ...raw.headers, "Content-Length": raw.body.length });
  res.end(req.method === "HEAD" ? undefined : raw.body);
}

// Graceful shutdown state: requests in flight, and whether SIGTERM/SIGINT arrived.
const active = new Set<ServerResponse>();
let stopping = false;

// Prometheus metrics on a port of their own (never behind the app proxy): app/metrics/.
const metrics = webMetrics(processRegistry, { enabled: metricsEnabled(), isStatic: (p) => staticFiles.has(p) });
const metricsServer = startMetricsServer({ registry: processRegistry, port: metricsEnabled() ? metricsPortFromEnv("METRICS_PORT", 9463) : 0, host: process.env.HOST, token: process.env.METRICS_TOKEN });
const refusals = metrics.counting(new RefusalLog());
const trustedHops = trustedProxyHopsFromEnv();
const bodyBudget = bodyBudgetFromEnv();
const photoUploadsPerClient = new KeyedConcurrency(photoUploadsPerClientFromEnv());
// Operators' queue dashboard: /ops/queues, its own auth (OPS_USER/OPS_PASSWORD or OPS_TOKEN), else 404.
const opsQueues = queueDashboard();

/** One request, start to end. Nothing a client sends throws out of it (the listener also catches). */
async function handle(req: IncomingMessage, res: ServerResponse, reqId: string, reqLog: Logger): Promise<void> {
  const target = requestTarget(req);
  if (!target.ok) return refuse(req, res, target, reqId);
  const clientAddress = clientAddressOf(req, trustedHops);
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const pathname = q >= 0 ? url.slice(0, q) : url;
  // Liveness and readiness for the load balancer (never behind the app proxy, which forwards /proxy/* only).
  if (HEALTH_PATHS.has(pathname)) {
    const readiness = entry.readiness ?? (() => Promise.resolve({ ready: true, checks: {} }));
    return answerHealth(req, res, pathname, { draining: stopping, readiness });
  }
  if (opsQueues(req, res, pathname)) return;
  if (fastSimilar && pathname === "/proxy/similar" && (req.method === "GET" || req.method === "HEAD")) {
    return writeRaw(req, res, await fastSimilar(url, clientAddress, reqLog));
  }
  if ((req.method === "GET" || req.method === "HEAD") && serveStatic(req, res, pathname)) return;
  let body: Buffer | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const limit = bodyLimitFor(target.pathname);
    // Photo uploads: a few at once per client, so one client cannot hold the upload budget.
    const leave = limit.route === "photo" ? photoUploadsPerClient.enter(clientAddress ?? "") : () => {};
    if (!leave) return refuse(req, res, { status: 429, kind: "uploads-per-client", detail: `photo upload over ${photoUploadsPerClient.limit} at once`, headers: { "Retry-After": "1" } }, reqId);
    try {
      const read = await readBody(req, limit, bodyBudget);
      body = read.body;
      res.once("close", read.release);
    } catch (err) {
      if (err instanceof BodyRefusedError) return refuse(req, res, err.refusal, reqId);
      throw err;
    } finally {
      leave();
    }
  }
  const response = await remix(toRequest(req, res, target.url, body), { clientAddress, log: reqLog } satisfies LookalikeLoadContext);
  await sendResponse(res, response);
}

const server = http.createServer((req, res) => {
  active.add(res);
  res.once("close", () => active.delete(res));
  metrics.request(req, res);
  // While stopping, every answer closes its connection, so keep-alive clients reconnect elsewhere.
  if (stopping) res.shouldKeepAlive = false;
  const reqId = requestIdOf(req.headers["x-request-id"], randomUUID);
  res.setHeader("X-Request-Id", reqId);
  const reqLog = log.child({ reqId }); // ~2 µs (decision 0011)
  handle(req, res, reqId, reqLog).catch((err: unknown) => {
    reqLog.error({ err }, `request failed: ${req.method} ${oneLine(req.url ?? "")}`);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
    res.end("Internal Server Error");
  });
});
// Requests Node's parser refuses (bad request line, header or chunk framing, oversized head):
// a bare 400/431 (408 for a head that never finished) and one rate-limited line, then close.
server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
  if (err.code === "ECONNRESET" || err.code === "EPIPE" || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  refusals.note(`malformed-${status}`, `${err.code ?? err.message} (${socket.remoteAddress ?? "?"})`);
  answerRaw(socket, status);
});
// CONNECT (Node hands it here, not to the request listener; unanswered, the socket was dropped).
server.on("connect", (req: IncomingMessage, socket: net.Socket) => {
  refusals.note("method", `405 method CONNECT (${socket.remoteAddress ?? "?"})`);
  answerRaw(socket, 405, `Allow: ${ALLOW_HEADER}\r\n`);
});
server.keepAliveTimeout = 65_000;

const port = Number(process.env.PORT ?? 3000);
const onListen = () => log.info(`web listening on http://localhost:${port}`);
if (process.env.HOST) server.listen(port, process.env.HOST, onListen);
else server.listen(port, onListen);

const statsEvery = Number(process.env.EVENT_LOOP_STATS_MS ?? 0);
if (statsEvery > 0) {
  // One histogram, sampled every 20 ms by libuv's timer; read and reset once per interval. Node
  // records the whole time between two timer callbacks, so every sample includes the 20 ms
  // interval itself (an idle loop reads ~20 ms; a 90 ms block reads ~110 ms): it is subtracted,
  // so the figures are how late the loop was — the stall.
  const RESOLUTION_MS = 20;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  // Linux: the main thread's time on a CPU and waiting for one (run queue) in the interval — the
  // second is CPU starvation: the thread was ready to run and the machine had no core for it.
  const schedstat = (): number[] | null => {
    try {
      return readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(" ").map(Number);
    } catch {
      return null;
    }
  };
  let sched = schedstat();
  setInterval(() => {
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    const now = schedstat();
    const cpu = sched && now ? ` main-thread cpu ${ms(now[0] - sched[0])} ms runq-wait ${ms(now[1] - sched[1])} ms` : "";
    sched = now;
    const late = (ns: number) => ms(Math.max(0, ns - RESOLUTION_MS * 1e6));
    // Where the resident memory is: V8's heap (used / reserved), memory V8 tracks outside it
    // (Buffers, typed arrays), and the rest is native (hnswlib's graphs, onnxruntime, libvips, malloc).
    const m = process.memoryUsage();
    const mb = (b: number) => Math.round(b / 2 ** 20);
    log.info(
      { eventLoopMaxMs: Number(late(delay.max)), eventLoopP99Ms: Number(late(delay.percentile(99))), rssMb: mb(m.rss) },
      `event-loop max ${late(delay.max)} ms p99 ${late(delay.percentile(99))} ms rss ${mb(m.rss)} MB heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB external ${mb(m.external)} MB${cpu}`,
    );
    delay.reset();
  }, statsEvery).unref();
}

/**
 * SIGTERM/SIGINT: stop accepting connections (the port is free at once), finish the requests in
 * flight, answer every request that still arrives on an open keep-alive connection with
 * `Connection: close`, and after SHUTDOWN_IDLE_MS (default 1 s) close the connections that stayed
 * idle; exit 0 once none is left. Closing an idle connection at the very moment its client sends on
 * it loses that request (HTTP/1.1 clients retry it, RFC 9112 §9.3.1): letting busy clients get a
 * `Connection: close` answer first keeps that window small. Then an index snapshot being written
 * is let finish (a few seconds for a big shop). A request or save still running after
 * SHUTDOWN_GRACE_MS (default 10 s) is cut and the process exits 1, saying so.
 */
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info(`web stopping on ${signal} (finishing ${active.size} request(s) in flight)`);
  for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
  // net.Server's close, not http.Server's: the latter also drops idle keep-alive connections at once.
  // Once the last connection is gone, snapshot saves being written are let finish (the entry's
  // `shutdown`: closeWebServices in app/web-services.server.ts).
  metricsServer?.close();
  net.Server.prototype.close.call(server, () => {
    const finishing = entry.shutdown?.() ?? Promise.resolve();
    finishing.then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`web stopped; finishing index saves failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  });
  const idleMs = Number(process.env.SHUTDOWN_IDLE_MS ?? 1_000);
  setTimeout(() => {
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
  }, idleMs).unref();
  const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 10_000);
  setTimeout(() => {
    log.error(`web stopped after ${grace} ms with ${active.size} request(s) unfinished${active.size ? "" : " (an index save was still being written)"}`);
    process.exit(1);
  }, grace).unref();
}
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => shutdown(signal));
