/**
 * The hostile-mix run: the production web process (server.ts) and a worker on a synthetic shop,
 * with a Redis of the run's own (so its memory is the run's alone). First a quiet phase of normal
 * storefront load (similar products on an open loop from many shopper addresses, a photo search
 * every 2 s), then the same load with attackers beside it (scripts/lib/hostile-traffic.ts, in a
 * process of their own). Measures what the issue asks:
 * - web RSS growth during the attacks (≤ 100 MB) and Redis memory growth (≤ 50 MB);
 * - normal similar p99 under attack against the quiet phase (within 2×);
 * - real photo searches answered during the attacks;
 * - storefront-event rows only for the shop's real products; the web process still running.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import sharp from "sharp";
import { createPrismaClient } from "../../app/db.server";
import { signAppProxyQuery } from "../../app/demo/app-proxy-signature";
import { PrivateRedis } from "../../test/support/private-redis";
import { freePort, ROOT, startProcess, type RunningProcess } from "./app-processes";
import type { AttackReport } from "./hostile-traffic";
import { quantile, rssMB } from "./load-stats";
import { idOf, prepareSyntheticShop } from "./synthetic-shop";

export interface HostileMixOptions {
  /** Seconds of each phase (quiet, then under attack). */
  seconds: number;
  /** Products in the shop. */
  n: number;
  /** Normal similar requests per second (open loop). */
  rate: number;
  /** Extra environment for the web process (the worker gets it too). */
  webEnv?: Record<string, string>;
  /** Extra node flags for the web process only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: not allowed in NODE_OPTIONS). */
  webNodeArgs?: string[];
  log?: (line: string) => void;
}

export interface PhaseFigures {
  similar: { count: number; p50: number; p99: number; statuses: Record<string, number> };
  photo: { count: number; answered: number; statuses: Record<string, number> };
  /** The slowest 1 % of the similar requests: when each was sent (s into the phase) and how long it took (ms). */
  slowest: [at: number, ms: number][];
}

export interface HostileMixResult {
  quiet: PhaseFigures;
  hostile: PhaseFigures;
  /** Web RSS at the end of the quiet phase, and the most it reached under attack (MB). */
  webRssMB: { quietEnd: number; hostileMax: number; growth: number };
  redisMB: { before: number; after: number; growth: number };
  /** ProductDailyStat rows, and those of ids the shop does not have. */
  eventRows: { total: number; unknownProducts: number };
  webAlive: boolean;
  attacks: AttackReport;
  /** The web process's output (its event-loop lines when EVENT_LOOP_STATS_MS is set). */
  webLog?: string;
  /** The targets, each met or not. */
  checks: { name: string; ok: boolean; detail: string }[];
}

const SHOP = "hostile-shop.myshopify.com";
const SECRET = "hostile-secret-0123456789";

async function redisUsedMB(url: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  const info = await r.info("memory");
  r.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)![1]) / 2 ** 20;
}

async function testPhotos(): Promise<Buffer[]> {
  return Promise.all(
    ["#c0392b", "#2e5c9a", "#3c8d5a", "#e0b52b"].map((c) =>
      sharp({ create: { width: 480, height: 480, channels: 3, background: "#f4f4f4" } })
        .composite([
          { input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480"><rect x="120" y="100" width="240" height="280" rx="20" fill="${c}"/></svg>`) },
        ])
        .jpeg({ quality: 85 })
        .toBuffer(),
    ),
  );
}

export async function runHostileMix(opts: HostileMixOptions): Promise<HostileMixResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-hostile-"));
  const dbUrl = `file:${path.join(dir, "hostile.db")}`;
  const dataDir = path.join(dir, "data");
  const redis = new PrivateRedis();
  let web: RunningProcess | undefined;
  let worker: RunningProcess | undefined;
  try {
    await redis.start();
    await prepareSyntheticShop({ shop: SHOP, n: opts.n, dir, dbUrl, dataDir });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: dbUrl,
      DATA_DIR: dataDir,
      REDIS_URL: redis.url,
      REDIS_NAMESPACE: "lookalike-hostile",
      SHOPIFY_API_KEY: "hostile-key",
      SHOPIFY_API_SECRET: SECRET,
      SHOPIFY_APP_URL: `http://localhost:${port}`,
      PORT: String(port),
      LOOKALIKE_DEMO: "0",
      ...opts.webEnv,
    };
    web = await startProcess([...(opts.webNodeArgs ?? []), "--import", "tsx", "server.ts"], env, /listening on http:\/\/localhost/, 60_000);
    worker = await startProcess(["--import", "tsx", "jobs/worker.ts"], env, /worker ready/, 120_000);
    const webPid = web.child.pid!;
    const sign = (params: Record<string, string>) => signAppProxyQuery(new URLSearchParams(params), { shop: SHOP, secret: SECRET });
    const warm = await fetch(`${base}/proxy/similar?${sign({ product_id: idOf(0) })}`);
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}: ${await warm.text()}`);
    const photos = await testPhotos();
    const rand = (k: number) => Math.floor(Math.random() * k);
    // Shoppers: many addresses, as Shopify's app proxy forwards them (one trusted hop).
    const shopper = () => `203.0.113.${rand(250)}, 198.51.${rand(250)}.${rand(250)}`;

    const phase = async (seconds: number, sampleRss?: (mb: number) => void): Promise<PhaseFigures> => {
      const until = Date.now() + seconds * 1000;
      const lat: number[] = [];
      const sentAt: [number, number][] = [];
      const phaseStart = performance.now();
      const similarStatuses: Record<string, number> = {};
      const photoStatuses: Record<string, number> = {};
      let photoAnswered = 0;
      const sampler = sampleRss ? setInterval(() => sampleRss(rssMB(webPid)), 500) : undefined;
      const similar = async () => {
        const started = Date.now();
        const inFlight = new Set<Promise<void>>();
        for (let i = 0; ; i++) {
          const due = started + (i * 1000) / opts.rate;
          if (due >= until) break;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const t = performance.now();
          const p: Promise<void> = fetch(`${base}/proxy/similar?${sign({ product_id: idOf(rand(opts.n)) })}`, { headers: { "X-Forwarded-For": shopper() } })
            .then(async (res) => {
              await res.arrayBuffer();
              lat.push(performance.now() - t);
              sentAt.push([(t - phaseStart) / 1000, performance.now() - t]);
              similarStatuses[res.status] = (similarStatuses[res.status] ?? 0) + 1;
            })
            .catch(() => void (similarStatuses.error = (similarStatuses.error ?? 0) + 1))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await Promise.all(inFlight);
      };
      const photo = async () => {
        while (Date.now() < until) {
          const form = new FormData();
          form.append("image", new Blob([new Uint8Array(photos[rand(photos.length)])], { type: "image/jpeg" }), "photo.jpg");
          try {
            const res = await fetch(`${base}/proxy/visual-search?${sign({ limit: "12" })}`, { method: "POST", body: form, headers: { "X-Forwarded-For": shopper() } });
            const body = (await res.json().catch(() => ({}))) as { products?: unknown[] };
            photoStatuses[res.status] = (photoStatuses[res.status] ?? 0) + 1;
            if (res.status === 200 && (body.products?.length ?? 0) > 0) photoAnswered++;
          } catch {
            photoStatuses.error = (photoStatuses.error ?? 0) + 1;
          }
          await new Promise((r) => setTimeout(r, 2_000));
        }
      };
      await Promise.all([similar(), photo()]);
      if (sampler) clearInterval(sampler);
      const sorted = lat.sort((a, b) => a - b);
      const slowest = sentAt
        .sort((a, b) => b[1] - a[1])
        .slice(0, Math.ceil(sentAt.length / 100))
        .map(([at, ms]) => [Number(at.toFixed(2)), Number(ms.toFixed(1))] as [number, number]);
      const photoCount = Object.values(photoStatuses).reduce((a, b) => a + b, 0);
      return {
        similar: { count: sorted.length, p50: Number(quantile(sorted, 0.5).toFixed(1)), p99: Number(quantile(sorted, 0.99).toFixed(1)), statuses: similarStatuses },
        photo: { count: photoCount, answered: photoAnswered, statuses: photoStatuses },
        slowest,
      };
    };

    log(`hostile mix: ${opts.n} products, normal load ${opts.rate} similar/s + a photo every 2 s; warm-up 5 s, then a quiet phase of ${opts.seconds} s …`);
    // Warm-up (not measured): the photo model loads on the first photo search, caches fill.
    await phase(5);
    const quiet = await phase(opts.seconds);
    const quietEnd = rssMB(webPid);
    const redisBefore = await redisUsedMB(redis.url);
    log(
      `  quiet: similar p50 ${quiet.similar.p50} ms p99 ${quiet.similar.p99} ms; web RSS ${quietEnd.toFixed(0)} MB; Redis ${redisBefore.toFixed(1)} MB. Attacks for ${opts.seconds} s …`,
    );

    const attackOpts = { host: "127.0.0.1", port, shop: SHOP, secret: SECRET, seconds: opts.seconds, productIds: Array.from({ length: Math.min(opts.n, 200) }, (_, i) => idOf(i)) };
    const attacker = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/hostile-attackers.ts"), JSON.stringify(attackOpts)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let attackOut = "";
    attacker.stdout.on("data", (d) => (attackOut += d));
    attacker.stderr.on("data", (d) => (attackOut += d));
    const attackerDone = new Promise<void>((r) => attacker.once("exit", () => r()));
    let hostileMax = quietEnd;
    const hostile = await phase(opts.seconds, (mb) => (hostileMax = Math.max(hostileMax, mb)));
    await attackerDone;
    const report = /ATTACK_JSON (.*)/.exec(attackOut);
    if (!report) throw new Error(`the attacker process printed no report:\n${attackOut.slice(-2000)}`);
    const attacks = JSON.parse(report[1]) as AttackReport;
    // Let batched event writes land (EVENTS_FLUSH_MS) before counting rows.
    await new Promise((r) => setTimeout(r, 3_000));
    const redisAfter = await redisUsedMB(redis.url);
    const webAlive = web.child.exitCode === null && web.child.signalCode === null;

    const db = createPrismaClient(dbUrl);
    let eventRows: HostileMixResult["eventRows"];
    try {
      const rows = await db.productDailyStat.findMany({ where: { shopDomain: SHOP }, select: { productId: true } });
      const known = new Set((await db.product.findMany({ where: { shopDomain: SHOP }, select: { id: true } })).map((p) => p.id));
      eventRows = { total: rows.length, unknownProducts: rows.filter((r) => !known.has(r.productId)).length };
    } finally {
      await db.$disconnect();
    }

    const growth = hostileMax - quietEnd;
    const redisGrowth = redisAfter - redisBefore;
    const fiveXX = Object.entries(hostile.similar.statuses)
      .filter(([s]) => s.startsWith("5") || s === "error")
      .reduce((a, [, c]) => a + c, 0);
    const checks = [
      { name: "web process alive", ok: webAlive, detail: webAlive ? "running" : `exited ${web.child.exitCode ?? web.child.signalCode}` },
      { name: "web RSS growth ≤ 100 MB", ok: growth <= 100, detail: `${quietEnd.toFixed(0)} → max ${hostileMax.toFixed(0)} MB (+${growth.toFixed(0)})` },
      { name: "Redis growth ≤ 50 MB", ok: redisGrowth <= 50, detail: `${redisBefore.toFixed(1)} → ${redisAfter.toFixed(1)} MB (+${redisGrowth.toFixed(1)})` },
      {
        name: "normal similar p99 within 2× quiet",
        ok: hostile.similar.p99 <= 2 * quiet.similar.p99,
        detail: `${quiet.similar.p99} → ${hostile.similar.p99} ms (${(hostile.similar.p99 / quiet.similar.p99).toFixed(2)}×)`,
      },
      { name: "normal similar: no 5xx or errors", ok: fiveXX === 0, detail: JSON.stringify(hostile.similar.statuses) },
      {
        name: "real photo searches answered",
        ok: hostile.photo.count > 0 && hostile.photo.answered === hostile.photo.count,
        detail: `${hostile.photo.answered} of ${hostile.photo.count} (${JSON.stringify(hostile.photo.statuses)})`,
      },
      { name: "event rows only for real products", ok: eventRows.unknownProducts === 0, detail: `${eventRows.total} rows, ${eventRows.unknownProducts} for invented ids` },
    ];
    return {
      quiet,
      hostile,
      webRssMB: { quietEnd, hostileMax, growth },
      redisMB: { before: redisBefore, after: redisAfter, growth: redisGrowth },
      eventRows,
      webAlive,
      attacks,
      webLog: web.output(),
      checks,
    };
  } finally {
    await Promise.all([web?.stop(), worker?.stop()]);
    await redis.stop("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}
