/**
 * What storefront events cost the search path: uncached /proxy/similar latency (SEARCH_CACHE=0) on
 * the production entry over SQLite, first alone, then while beacons arrive at --rate events/s (each
 * an impression of --ids products of the shop's catalog, from one client without X-Forwarded-For).
 *
 *   npx tsx scripts/bench-http.ts prepare --n 10000 --dir /tmp/events-bench   # once: the bench shop
 *   npx tsx scripts/bench-events.ts --dir /tmp/events-bench [--rate 50] [--ids 50] [--seconds 20]
 *        [--clients 2] [--root <app checkout with a build, to measure another version>]
 *
 * Event rate limits are lifted for the run (RATE_LIMIT_EVENTS_*), so the write path is measured, not
 * the limiter. The bench database is copied first, so runs do not add to each other's rows.
 * Prints one table and a "BENCH_JSON " line.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { setMaxListeners } from "node:events";
import os from "node:os";
import path from "node:path";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { createPrismaClient } from "../app/db.server";
import { freePort, ROOT, startProcess } from "./lib/app-processes";

const SHOP = "bench-shop.myshopify.com";
const SECRET = "bench-secret-0123456789"; // bench-http.ts's
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};

const dir = path.resolve(arg("dir", path.join(os.tmpdir(), "lookalike-bench")));
const root = path.resolve(arg("root", ROOT));
const rate = Number(arg("rate", "50"));
const idsPerEvent = Number(arg("ids", "50"));
const seconds = Number(arg("seconds", "20"));
const clients = Number(arg("clients", "2"));
const n = Number(arg("n", "10000"));

const signed = (route: string, params: Record<string, string> = {}) => `/proxy/${route}?${signAppProxyQuery(new URLSearchParams(params), { shop: SHOP, secret: SECRET })}`;
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

const SIMILAR_TIMEOUT_MS = 30_000;
let similarTimeouts = 0;

/** Latencies of uncached similar requests for `ms`; one that takes over 30 s counts as 30 s (and in similarTimeouts). */
async function similarLatencies(base: string, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < end; i += clients) {
        const id = String(100000 + ((i * 7919) % n));
        const t0 = performance.now();
        try {
          const res = await fetch(base + signed("similar", { product_id: id }), { signal: AbortSignal.timeout(SIMILAR_TIMEOUT_MS) });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`similar answered ${res.status}`);
        } catch (err) {
          if ((err as Error).name !== "TimeoutError") throw err;
          similarTimeouts++;
        }
        out.push(performance.now() - t0);
      }
    }),
  );
  return out.sort((a, b) => a - b);
}

/** Sends `rate` beacons a second until stopped; counts answers by status (those still unanswered 5 s after the stop: "unanswered"). */
function eventLoad(base: string) {
  const counts: Record<string, number> = {};
  const latencies: number[] = [];
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let k = 0;
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const first = (k++ * idsPerEvent) % n;
    const productIds = Array.from({ length: idsPerEvent }, (_, j) => String(100000 + ((first + j) % n)));
    const t0 = performance.now();
    const body = JSON.stringify({ type: "impression", sourceProductId: productIds[0], productIds });
    const p = fetch(base + signed("events"), { method: "POST", body, headers: { "Content-Type": "text/plain;charset=UTF-8" }, signal: abort.signal })
      .then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      })
      .catch((err: Error) => void (counts[abort.signal.aborted ? "unanswered" : err.name] = (counts[abort.signal.aborted ? "unanswered" : err.name] ?? 0) + 1))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timer = setInterval(send, 1000 / rate);
  return {
    counts,
    async stop() {
      clearInterval(timer);
      const timeout = setTimeout(() => abort.abort(), 5_000);
      await Promise.all(inFlight);
      clearTimeout(timeout);
      return { counts, latencies: latencies.sort((a, b) => a - b) };
    },
  };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-events-"));
  const dbFile = path.join(tmp, "bench.db");
  copyFileSync(path.join(dir, "bench.db"), dbFile);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: `file:${dbFile}`,
    DATA_DIR: path.join(dir, "data"),
    MODELS_DIR: process.env.MODELS_DIR ?? path.join(ROOT, "models"),
    REDIS_NAMESPACE: `lookalike-bench-events-${process.pid}`,
    SHOPIFY_API_KEY: "bench-key",
    SHOPIFY_API_SECRET: SECRET,
    SHOPIFY_APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    LOOKALIKE_DEMO: "0",
    SEARCH_CACHE: "0",
    RATE_LIMIT_SIMILAR_SHOP: "1000000000",
    RATE_LIMIT_SIMILAR_IP: "0",
    RATE_LIMIT_EVENTS_SHOP: "1000000000",
    RATE_LIMIT_EVENTS_IP: "0",
  };
  // server.ts finds its build beside itself: --root measures that checkout's version.
  const app = await startProcess(["--import", "tsx", path.join(root, "server.ts")], env, /listening/);
  const say = (line: string) => console.error(`[bench-events] ${line}`);
  try {
    say(`server up on ${base} (${root})`);
    await similarLatencies(base, 2_000); // warm-up (catalog open, JIT)
    say(`warm; ${seconds} s alone`);
    const quiet = await similarLatencies(base, seconds * 1000);
    similarTimeouts = 0;
    const load = eventLoad(base);
    await new Promise((r) => setTimeout(r, 1_000));
    say(`${seconds} s with ${rate} events/s`);
    const busy = await similarLatencies(base, seconds * 1000);
    const { counts, latencies: eventMs } = await load.stop();
    await new Promise((r) => setTimeout(r, 3_000)); // a batched version's last flush
    const db = createPrismaClient(`file:${dbFile}`);
    const day = await db.dailyStat.findMany({ where: { shopDomain: SHOP } });
    const productRows = await db.productDailyStat.count({ where: { shopDomain: SHOP } });
    await db.$disconnect();
    const row = (name: string, l: number[]) => ({ phase: name, requests: l.length, p50: +pct(l, 50).toFixed(1), p99: +pct(l, 99).toFixed(1), max: +(l.at(-1) ?? NaN).toFixed(1) });
    const rows = [row("similar alone", quiet), row(`similar + ${rate} events/s`, busy), row("the events themselves", eventMs)];
    console.table(rows);
    console.log(`similar requests over ${SIMILAR_TIMEOUT_MS / 1000} s under events (counted as ${SIMILAR_TIMEOUT_MS / 1000} s): ${similarTimeouts}`);
    console.log(`events answered: ${JSON.stringify(counts)}; impressions in DailyStat: ${day.reduce((s, d) => s + d.impressions, 0)}; ProductDailyStat rows: ${productRows}`);
    console.log(`BENCH_JSON ${JSON.stringify({ root, rate, idsPerEvent, clients, seconds, rows, similarTimeouts, counts, productRows })}`);
  } catch (err) {
    console.error(app.output().slice(-3000));
    throw err;
  } finally {
    await app.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
