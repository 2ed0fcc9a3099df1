/**
 * Production web entry (`npm run start`): one node:http server.
 *
 * - GET/HEAD /proxy/similar — the storefront's hot route — is answered straight from node:http by
 *   the same handler the Remix route uses (`similarRaw` in app/storefront/proxy-handlers.server.ts,
 *   registered on globalThis when the server build loads, so there is one module graph and one set
 *   of live catalogs): no Express, no compression, no request logging, no fetch Request/Response.
 * - Files of the client build (build/client) are served from disk (`/assets/*` immutable).
 * - Everything else goes to Remix's request handler (`createRequestHandler` from @remix-run/node)
 *   through a small node:http ↔ fetch adapter (the one @remix-run/express uses, without Express).
 *
 * Environment: PORT (3000), HOST (all interfaces), SHUTDOWN_GRACE_MS (10000), SHUTDOWN_IDLE_MS (1000), EVENT_LOOP_STATS_MS
 * (off; when set, one `[lookalike] event-loop` line per interval: max/p99 delay, RSS and, on Linux,
 * the main thread's CPU time and run-queue wait — for soak runs), plus everything app/config.server.ts reads.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createReadableStreamFromReadable, createRequestHandler, writeReadableStreamToWritable, type ServerBuild } from "@remix-run/node";
import { readConfig } from "./app/config.server";
import { preflightOrExit } from "./app/preflight.server";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const ROOT = path.dirname(fileURLToPath(import.meta.url));
process.env.NODE_ENV ??= "production";
const buildPath = path.resolve(ROOT, process.argv[2] ?? "build/server/index.js");
if (!existsSync(buildPath)) {
  console.error(`No production build at ${buildPath}: run \`npm run build\` first.`);
  process.exit(1);
}
await preflightOrExit(readConfig());
const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
const remix = createRequestHandler(build, process.env.NODE_ENV);
const fast = (globalThis as { __lookalikeFastProxy?: { similar: (url: string, forwardedFor?: string) => Promise<RawResponse> } }).__lookalikeFastProxy;
if (!fast) console.warn("[lookalike] fast proxy handler not registered; /proxy/similar goes through Remix");

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

function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  const host = req.headers["x-forwarded-host"] ?? req.headers.host ?? "localhost";
  const url = new URL(req.url ?? "/", `http://${Array.isArray(host) ? host[0] : host}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  let controller: AbortController | null = new AbortController();
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = createReadableStreamFromReadable(req);
    init.duplex = "half";
  }
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  return new Request(url.href, init);
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

function writeRaw(req: IncomingMessage, res: ServerResponse, raw: RawResponse): void {
  res.writeHead(raw.status, { ...raw.headers, "Content-Length": raw.body.length });
  res.end(req.method === "HEAD" ? undefined : raw.body);
}

// Graceful shutdown state: requests in flight, and whether SIGTERM/SIGINT arrived.
const active = new Set<ServerResponse>();
let stopping = false;

const server = http.createServer((req, res) => {
  active.add(res);
  res.once("close", () => active.delete(res));
  // While stopping, every answer closes its connection, so keep-alive clients reconnect elsewhere.
  if (stopping) res.shouldKeepAlive = false;
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const pathname = q >= 0 ? url.slice(0, q) : url;
  if (fast && pathname === "/proxy/similar" && (req.method === "GET" || req.method === "HEAD")) {
    const xff = req.headers["x-forwarded-for"];
    fast.similar(url, Array.isArray(xff) ? xff[0] : xff).then(
      (raw) => writeRaw(req, res, raw),
      (err) => {
        console.error("[lookalike] /proxy/similar", err);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end('{"error":{"code":"internal_error","message":"Something went wrong; please try again."}}');
      },
    );
    return;
  }
  if ((req.method === "GET" || req.method === "HEAD") && serveStatic(req, res, pathname)) return;
  remix(toRequest(req, res))
    .then((response) => sendResponse(res, response))
    .catch((err) => {
      console.error("[lookalike] request failed", req.method, pathname, err);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Internal Server Error");
    });
});
server.keepAliveTimeout = 65_000;

const port = Number(process.env.PORT ?? 3000);
const onListen = () => console.log(`[lookalike] web listening on http://localhost:${port}`);
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
    console.log(
      `[lookalike] event-loop max ${late(delay.max)} ms p99 ${late(delay.percentile(99))} ms rss ${mb(m.rss)} MB heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB external ${mb(m.external)} MB${cpu}`,
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
  console.log(`[lookalike] web stopping on ${signal} (finishing ${active.size} request(s) in flight)`);
  for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
  // net.Server's close, not http.Server's: the latter also drops idle keep-alive connections at once.
  // Once the last connection is gone, snapshot saves being written are let finish (web-services.server.ts).
  net.Server.prototype.close.call(server, () => {
    const finishing = globalThis.__lookalikeWebShutdown?.() ?? Promise.resolve();
    finishing.then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`[lookalike] web stopped; finishing index saves failed: ${err instanceof Error ? err.message : String(err)}`);
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
    console.error(`[lookalike] web stopped after ${grace} ms with ${active.size} request(s) unfinished${active.size ? "" : " (an index save was still being written)"}`);
    process.exit(1);
  }, grace).unref();
}
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => shutdown(signal));
