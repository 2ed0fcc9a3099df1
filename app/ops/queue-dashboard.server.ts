/**
 * The operators' queue dashboard (bull-board) at /ops/queues: the embed and sync queues of this
 * deployment (their REDIS_NAMESPACE:db-<tag> prefix), with bull-board's retry, promote and clean
 * actions. server.ts hands it every request under /ops/queues before anything else reads it.
 *
 * Authentication is the operators' own, never the storefront's or the admin's:
 * - OPS_USER + OPS_PASSWORD: HTTP basic auth; OPS_TOKEN: `Authorization: Bearer <token>`; either
 *   opens it when both are set.
 * - Neither set: the dashboard is off — the path is left to Remix, which answers 404 as for any
 *   unknown path (nothing tells it apart); nothing is loaded and no Redis connection is opened.
 *   Never open by default.
 * - Missing or wrong credentials: 401 with `WWW-Authenticate: Basic realm="Lookalike operations"`
 *   and an empty body — no queue, job or prefix named; the body a client was sending is not read.
 *   Credentials are compared in constant time (SHA-256 of each side, timingSafeEqual).
 * - A request that changes something (anything but GET/HEAD) sent from another site's page
 *   (`Sec-Fetch-Site: cross-site|same-site`, or an `Origin` other than this host) is refused 403:
 *   browsers replay basic credentials on cross-site requests.
 *
 * Not under /proxy: Shopify's app proxy only ever forwards /proxy/*, so a shopper cannot reach it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createEmbedQueue, createSyncQueue, queuePrefix } from "../queues/queues.server";
import { redisAddressFromEnv } from "../redis-address";
import { createRedis, type RedisClient } from "../redis.server";
import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("ops");

export const QUEUE_DASHBOARD_PATH = "/ops/queues";
const REALM = 'Basic realm="Lookalike operations", charset="UTF-8"';

export interface OpsCredentials {
  basic?: { user: string; password: string };
  token?: string;
}

/**
 * The credentials the environment gives, or null when the dashboard is off. A user without a
 * password (or the reverse) opens nothing and says so once.
 */
export function opsCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = (line) => log.warn(line)): OpsCredentials | null {
  const user = env.OPS_USER ?? "";
  const password = env.OPS_PASSWORD ?? "";
  const token = env.OPS_TOKEN ?? "";
  const creds: OpsCredentials = {};
  if (user && password) creds.basic = { user, password };
  else if (user || password) warn(`${user ? "OPS_USER without OPS_PASSWORD" : "OPS_PASSWORD without OPS_USER"}: basic auth for ${QUEUE_DASHBOARD_PATH} stays off`);
  if (token) creds.token = token;
  return creds.basic || creds.token ? creds : null;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
/** Equal strings, in time that depends on neither's content nor length. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether an Authorization header carries the operators' credentials. */
export function authorized(header: string | undefined, creds: OpsCredentials): boolean {
  if (!header) return false;
  const space = header.indexOf(" ");
  const scheme = header.slice(0, space < 0 ? header.length : space).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "basic" && creds.basic) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    // Both compared, always (no early exit on a wrong user).
    const userOk = safeEqual(decoded.slice(0, colon), creds.basic.user);
    const passwordOk = safeEqual(decoded.slice(colon + 1), creds.basic.password);
    return userOk && passwordOk;
  }
  if (scheme === "bearer" && creds.token) return safeEqual(value, creds.token);
  return false;
}

/** A state-changing request a browser sent from another site's page. */
function crossSite(req: IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  const site = req.headers["sec-fetch-site"];
  if (site && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function bare(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  // A body we will not read (a refused PUT) is dropped with the connection.
  const close = !req.complete && req.headers["content-length"] !== "0" && (req.headers["content-length"] || req.headers["transfer-encoding"]);
  res.writeHead(status, { "Content-Length": "0", "Cache-Control": "no-store", ...(close ? { Connection: "close" } : {}), ...headers });
  res.end();
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface QueueDashboardOptions {
  env?: NodeJS.ProcessEnv;
  /** Redis for the dashboard's queues (default: a connection to REDIS_URL or REDIS_CLUSTER_NODES, opened on first use). */
  redis?: () => RedisClient;
}

/**
 * The /ops/queues handler for server.ts: `(req, res, pathname) => boolean`, true when it answered
 * (the path is its own), false for every other path — and for its own when the dashboard is off.
 */
export function queueDashboard(options: QueueDashboardOptions = {}): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  const env = options.env ?? process.env;
  const creds = opsCredentialsFromEnv(env);
  let board: Promise<Handler> | undefined;
  const load = () =>
    (board ??= buildBoard(env, options.redis ?? (() => createRedis(redisAddressFromEnv(env), { maxRetriesPerRequest: 2 }))).catch((err: unknown) => {
      board = undefined;
      throw err;
    }));
  return (req, res, pathname) => {
    if (!creds) return false;
    if (pathname !== QUEUE_DASHBOARD_PATH && !pathname.startsWith(`${QUEUE_DASHBOARD_PATH}/`)) return false;
    if (!authorized(req.headers.authorization, creds)) {
      bare(req, res, 401, { "WWW-Authenticate": REALM });
      return true;
    }
    if (crossSite(req)) {
      bare(req, res, 403);
      return true;
    }
    // The dashboard's pages and answers: never cached, never framed, no referrer leaves them.
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Frame-Options", "DENY");
    // Only its own files: no third-party fonts (bull-board's page asks Google Fonts), no framing.
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("X-Content-Type-Options", "nosniff");
    load().then(
      (handle) => {
        // bull-board's routes are relative to its base path.
        const rest = (req.url ?? "/").slice(QUEUE_DASHBOARD_PATH.length);
        req.url = rest.startsWith("/") ? rest : `/${rest}`;
        handle(req, res);
      },
      (err: unknown) => {
        log.error(`queue dashboard unavailable: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Queue dashboard unavailable.");
      },
    );
    return true;
  };
}

/** bull-board over this deployment's two queues, loaded on the first authorised request. */
async function buildBoard(env: NodeJS.ProcessEnv, redis: () => RedisClient): Promise<Handler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import("@bull-board/api"),
    import("@bull-board/api/bullMQAdapter"),
    import("@bull-board/express"),
  ]);
  const prefix = queuePrefix(env);
  const connection = redis();
  const queues = [createEmbedQueue(connection, prefix), createSyncQueue(connection, prefix)];
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { description: `prefix ${prefix}` })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "Lookalike queues", hideDocsLink: true } },
  });
  return serverAdapter.getRouter() as Handler;
}
