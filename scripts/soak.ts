/**
 * Mixed-load soak of the production processes (server.ts + worker) on a 20k-product shop:
 * similar 80 %, photo search 15 %, signed products/update webhooks 5 %, for --seconds (default 600).
 *
 *   npx tsx scripts/soak.ts [--seconds 600] [--clients 8 | --rate R] [--n 20000] [--dir /tmp/lookalike-soak] [--mix 80,15,5] [--prepare-only]
 *        [--web-node-args "--trace-gc"] [--web-log FILE]   extra node flags for the web process; its whole output, written to FILE at the end
 *        [--cpu-prof DIR]   the web process writes a V8 CPU profile to DIR when it stops
 *        [--shop-settings '{"hideOutOfStock":true}']   the shop's settings for the run (default: the defaults)
 *        [--server-build PATH]  the Remix server build server.ts serves (default build/server/index.js):
 *                               A/B runs of two builds on the same machine
 *        [--database-url postgresql://…/db]   an existing (empty or prepared) database instead of
 *                                              SQLite in --dir; use one --dir per database
 *
 * Prepare (once per --dir, skipped when the shop is already there): a migrated SQLite database with
 * one shop of N products written as the webhook path writes them (same hashes, so an update that
 * changes only the price needs no embedding), with synthetic clustered vectors at the real
 * dimension (no image embedding), and the shop's index saved to DATA_DIR as a web process saves it.
 *
 * Run: starts server.ts (EVENT_LOOP_STATS_MS=5000: the web process logs its event-loop delay
 * max/p99 every 5 s) and the worker (a webhook that changes a title makes it re-embed the text),
 * N clients loop over the mix. Prints a progress line every 10 s; at the end request counts, 5xx
 * (exit 1 if any), p50/p99 per kind, RSS of both processes sampled every 5 s with a trend (least-
 * squares slope in MB/min, first vs last minute), event-loop stalls over 100 ms, and BENCH_JSON.
 *
 * Control: an idle node process measures its own event-loop delay the same way (20 ms resolution,
 * max/p99 per 5 s) for the whole run. Its stalls are CPU starvation (2 cores shared by the load
 * generator, web, worker, PostgreSQL, Redis and anything else running); the web's stalls beyond
 * them are its own work. Both report the delay net of the 20 ms sampling interval: Node records
 * the time between two timer callbacks, so an idle loop reads 20 ms and a 90 ms block 110 ms
 * (runs before 2026-11-30 16:20 UTC counted those raw figures against the 100 ms threshold).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { createPrismaClient } from "../app/db.server";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { freePort, startProcess, type RunningProcess } from "./lib/app-processes";
import { quantile, rssMB } from "./lib/load-stats";
import { idOf, prepareSyntheticShop, restPayload } from "./lib/synthetic-shop";

const SHOP = "soak-shop.myshopify.com";
const SECRET = "soak-secret-0123456789";
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const seconds = Number(arg("seconds", "600"));
const clients = Number(arg("clients", "8"));
/**
 * --rate R: open loop instead of the closed loop of --clients: R requests a second are started on a
 * fixed schedule whatever the answers do (at most 256 in flight; a request that would exceed it is
 * counted as skipped), so the load stays below the machine's capacity instead of saturating it.
 */
const rate = Number(arg("rate", "0"));
const MAX_IN_FLIGHT = 256;
const n = Number(arg("n", "20000"));
/** Percentages of similar, photo and webhook requests. */
const [mixSimilar, mixPhoto] = arg("mix", "80,15,5").split(",").map((x) => Number(x) / 100);
const dir = path.resolve(arg("dir", path.join(os.tmpdir(), "lookalike-soak")));
const dbUrl = arg("database-url", `file:${path.join(dir, "soak.db")}`);
const dataDir = path.join(dir, "data");
// ---------------------------------------------------------------------------

type Kind = "similar" | "photo" | "webhook";

/** CPU seconds (user + system) a process has used, from /proc (NaN when unreadable). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Busy and total CPU seconds of the whole machine (every core), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  try {
    const v = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: (total - v[3] - (v[4] ?? 0)) / 100, total: total / 100 };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Least-squares slope of (t minutes, MB), and mean of the first and last minute. */
function trend(samples: { t: number; mb: number }[]) {
  const xs = samples.map((s) => s.t / 60_000);
  const ys = samples.map((s) => s.mb);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => ((num += (x - mx) * (ys[i] - my)), (den += (x - mx) ** 2)));
  const end = xs[xs.length - 1];
  const mean = (f: (x: number) => boolean) => {
    const v = ys.filter((_, i) => f(xs[i]));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  return { slopeMBPerMin: den ? num / den : 0, firstMinMB: mean((x) => x <= 1), lastMinMB: mean((x) => x >= end - 1), maxMB: Math.max(...ys) };
}

async function photos(): Promise<Buffer[]> {
  const colours = ["#c0392b", "#2e5c9a", "#3c8d5a", "#222222", "#e0b52b", "#d77fa1", "#8e44ad", "#16a085"];
  return Promise.all(
    colours.flatMap((c, i) =>
      [0, 1].map((k) =>
        sharp({ create: { width: 640, height: 480, channels: 3, background: "#f4f4f4" } })
          .composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><${k ? "circle cx='320' cy='240' r='160'" : "rect x='180' y='100' width='280' height='280' rx='20'"} fill="${c}"/><rect x="${40 + i * 10}" y="400" width="120" height="30" fill="#555"/></svg>`) }])
          .jpeg({ quality: 85 })
          .toBuffer(),
      ),
    ),
  );
}

async function run(): Promise<void> {
  // --shop-settings JSON: the shop's settings for this run (default "{}", the defaults), e.g.
  // '{"hideOutOfStock":true}' so that every storefront search carries a filter.
  const settingsDb = createPrismaClient(dbUrl);
  await settingsDb.shop.update({ where: { domain: SHOP }, data: { settings: arg("shop-settings", "{}") } });
  await settingsDb.$disconnect();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: dbUrl,
    DATA_DIR: dataDir,
    REDIS_NAMESPACE: `lookalike-soak-${process.pid}`,
    SHOPIFY_API_KEY: "soak-key",
    SHOPIFY_API_SECRET: SECRET,
    SHOPIFY_APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    LOOKALIKE_DEMO: "0",
    EVENT_LOOP_STATS_MS: "5000",
    // Limits stay on (their Redis round trip is part of the path) with budgets the load cannot exhaust.
    RATE_LIMIT_SIMILAR_SHOP: "1000000000",
    RATE_LIMIT_PHOTO_SHOP: "1000000000",
    // All load comes from 127.0.0.1, now limited per client address like any shopper (server.ts).
    RATE_LIMIT_SIMILAR_IP: "0",
    RATE_LIMIT_PHOTO_IP: "0",
    RATE_LIMIT_EVENTS_IP: "0",
    PHOTO_UPLOADS_PER_CLIENT: "1000",
  };
  // --cpu-prof DIR: the web process writes a V8 CPU profile there when it stops (open in Chrome DevTools).
  const profDir = arg("cpu-prof", "");
  const profArgs = profDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profDir)}`] : [];
  const serverBuild = arg("server-build", "");
  // --web-node-args "--trace-gc": extra node flags for the web process; --web-log FILE: its whole output, written at the end.
  const webNodeArgs = arg("web-node-args", "").split(" ").filter(Boolean);
  const web: RunningProcess = await startProcess([...profArgs, ...webNodeArgs, "--import", "tsx", "server.ts", ...(serverBuild ? [path.resolve(serverBuild)] : [])], env, /listening on http:\/\/localhost/, 60_000);
  const worker: RunningProcess = await startProcess(["--import", "tsx", "jobs/worker.ts"], env, /worker ready/, 120_000);
  // The control process: nothing to do but measure its own event-loop delay (see the header).
  const control: RunningProcess = await startProcess(
    [
      "-e",
      `const h = require("node:perf_hooks").monitorEventLoopDelay({ resolution: 20 }); h.enable(); console.log("control ready");
       const st = () => { try { return require("node:fs").readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(" ").map(Number); } catch { return null; } };
       let s0 = st();
       setInterval(() => { const s1 = st(); const cpu = s0 && s1 ? " main-thread cpu " + ((s1[0] - s0[0]) / 1e6).toFixed(1) + " ms runq-wait " + ((s1[1] - s0[1]) / 1e6).toFixed(1) + " ms" : ""; s0 = s1;
         const late = (ns) => (Math.max(0, ns - 20e6) / 1e6).toFixed(1);
         console.log("control event-loop max " + late(h.max) + " ms p99 " + late(h.percentile(99)) + " ms" + cpu); h.reset(); }, 5000);`,
    ],
    env,
    /control ready/,
    10_000,
  );
  const sign = (params: Record<string, string>) => signAppProxyQuery(new URLSearchParams(params), { shop: SHOP, secret: SECRET });
  try {
    const t0 = performance.now();
    const first = await fetch(`${base}/proxy/similar?${sign({ product_id: idOf(0) })}`);
    if (first.status !== 200) throw new Error(`warm-up answered ${first.status}: ${await first.text()}`);
    console.log(`web ready, first search ${(performance.now() - t0).toFixed(0)} ms; soak: ${seconds} s, ${rate > 0 ? `open loop at ${rate} requests/s` : `${clients} clients`}, ${n} products, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);

    const images = await photos();
    const lat: Record<Kind, number[]> = { similar: [], photo: [], webhook: [] };
    const status: Record<string, number> = {};
    let errors = 0;
    let fiveXX = 0;
    let webhookSeq = 0;
    const started = Date.now();
    const cpu0 = { web: cpuSeconds(web.child.pid!), worker: cpuSeconds(worker.child.pid!), load: process.cpuUsage(), machine: machineCpu() };
    const until = started + seconds * 1000;
    const rand = (k: number) => Math.floor(Math.random() * k);

    const one = async (): Promise<void> => {
      const r = Math.random();
      const kind: Kind = r < mixSimilar ? "similar" : r < mixSimilar + mixPhoto ? "photo" : "webhook";
      const t = performance.now();
      let res: Response;
      if (kind === "similar") {
        res = await fetch(`${base}/proxy/similar?${sign({ product_id: idOf(rand(n)) })}`);
      } else if (kind === "photo") {
        const form = new FormData();
        form.append("image", new Blob([new Uint8Array(images[rand(images.length)])], { type: "image/jpeg" }), "photo.jpg");
        res = await fetch(`${base}/proxy/visual-search?${sign({ limit: "12" })}`, { method: "POST", body: form });
      } else {
        const i = rand(n);
        const seq = ++webhookSeq;
        // Every update is newer than the last; every fourth also renames (the worker re-embeds the text).
        const body = JSON.stringify(
          restPayload(i, { price: (10 + (seq % 90)).toFixed(2), updatedAt: new Date(Date.now() + seq).toISOString(), title: seq % 4 === 0 ? `Soak Product ${i} v${seq}` : undefined }),
        );
        res = await fetch(`${base}/webhooks/products/update`, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "products/update",
            "X-Shopify-Hmac-Sha256": createHmac("sha256", SECRET).update(body).digest("base64"),
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": randomUUID(),
            "X-Shopify-API-Version": "2026-01",
          },
          body,
        });
      }
      await res.arrayBuffer();
      lat[kind].push(performance.now() - t);
      const key = `${kind} ${res.status}`;
      status[key] = (status[key] ?? 0) + 1;
      if (res.status >= 500) fiveXX++;
    };
    const loop = async () => {
      while (Date.now() < until) await one().catch(() => void errors++);
    };

    const rss: { web: { t: number; mb: number }[]; worker: { t: number; mb: number }[] } = { web: [], worker: [] };
    const sampler = setInterval(() => {
      const t = Date.now() - started;
      rss.web.push({ t, mb: rssMB(web.child.pid!) });
      rss.worker.push({ t, mb: rssMB(worker.child.pid!) });
    }, 5_000);
    let lastTotal = 0;
    const progress = setInterval(() => {
      const total = lat.similar.length + lat.photo.length + lat.webhook.length;
      const loop = [...web.output().matchAll(/event-loop max ([\d.]+) ms/g)].pop()?.[1] ?? "-";
      const controlLoop = [...control.output().matchAll(/event-loop max ([\d.]+) ms/g)].pop()?.[1] ?? "-";
      console.log(
        `  ${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s  ${total} requests (${((total - lastTotal) / 10).toFixed(0)}/s)  5xx ${fiveXX}  errors ${errors}  ` +
          `RSS web ${rssMB(web.child.pid!).toFixed(0)} MB worker ${rssMB(worker.child.pid!).toFixed(0)} MB  event-loop max ${loop} ms (control ${controlLoop} ms)  load ${os.loadavg()[0].toFixed(2)}`,
      );
      lastTotal = total;
    }, 10_000);
    let skipped = 0;
    const openLoop = async () => {
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; ; i++) {
        const due = started + (i * 1000) / rate;
        if (due >= until) break;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (inFlight.size >= MAX_IN_FLIGHT) {
          skipped++;
          continue;
        }
        const p: Promise<void> = one()
          .catch(() => void errors++)
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    };
    if (rate > 0) await openLoop();
    else await Promise.all(Array.from({ length: clients }, loop));
    clearInterval(sampler);
    clearInterval(progress);

    const elapsed = (Date.now() - started) / 1000;
    // Where the 2 cores went (in cores: CPU seconds per second of soak).
    const m1 = machineCpu();
    const loadCpu = process.cpuUsage(cpu0.load);
    const cores = {
      web: (cpuSeconds(web.child.pid!) - cpu0.web) / elapsed,
      worker: (cpuSeconds(worker.child.pid!) - cpu0.worker) / elapsed,
      loadGenerator: (loadCpu.user + loadCpu.system) / 1e6 / elapsed,
      machineBusy: (m1.busy - cpu0.machine.busy) / elapsed,
      machine: (m1.total - cpu0.machine.total) / elapsed,
    };
    const loopsOf = (out: string) =>
      [...out.matchAll(/event-loop max ([\d.]+) ms p99 ([\d.]+) ms.*?(?:main-thread cpu ([\d.]+) ms runq-wait ([\d.]+) ms)?\n/g)].map((m) => ({
        max: Number(m[1]),
        p99: Number(m[2]),
        cpu: m[3] === undefined ? NaN : Number(m[3]),
        wait: m[4] === undefined ? NaN : Number(m[4]),
      }));
    const loops = loopsOf(web.output());
    const controlLoops = loopsOf(control.output());
    // The first interval includes the warm-up; stalls are counted over the whole run anyway.
    const stalls = loops.filter((l) => l.max > 100);
    const kinds = (Object.keys(lat) as Kind[]).map((k) => {
      const s = [...lat[k]].sort((a, b) => a - b);
      return { kind: k, count: s.length, p50: Number(quantile(s, 0.5).toFixed(1)), p99: Number(quantile(s, 0.99).toFixed(1)), max: Number((s[s.length - 1] ?? NaN).toFixed(1)) };
    });
    const webTrend = trend(rss.web);
    const workerTrend = trend(rss.worker);
    const embedded = (worker.output().match(/embed .* failed/g) ?? []).length;
    const loadShape = rate > 0 ? `open loop at ${rate} requests/s (${skipped} skipped at ${MAX_IN_FLIGHT} in flight)` : `${clients} clients`;
    console.log(`\nsoak: ${elapsed.toFixed(0)} s, ${loadShape}, ${n} products; load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    for (const k of kinds) console.log(`  ${k.kind.padEnd(8)} ${String(k.count).padStart(7)} requests  p50 ${k.p50} ms  p99 ${k.p99} ms  max ${k.max} ms`);
    console.log(`  statuses ${JSON.stringify(status)}; 5xx ${fiveXX}; network errors ${errors}; failed embed jobs logged ${embedded}`);
    const fmt = (t: ReturnType<typeof trend>) => `slope ${t.slopeMBPerMin.toFixed(2)} MB/min, first minute ${t.firstMinMB.toFixed(0)} MB, last minute ${t.lastMinMB.toFixed(0)} MB, max ${t.maxMB.toFixed(0)} MB`;
    // The first minutes include warm-up (index pages touched, caches filling): the second half says whether it keeps growing.
    const half = (xs: { t: number; mb: number }[]) => trend(xs.filter((x) => x.t >= (seconds * 1000) / 2));
    console.log(`  RSS web:    ${fmt(webTrend)} (${rss.web.length} samples); second half: slope ${half(rss.web).slopeMBPerMin.toFixed(2)} MB/min`);
    console.log(`  RSS worker: ${fmt(workerTrend)}; second half: slope ${half(rss.worker).slopeMBPerMin.toFixed(2)} MB/min`);
    // Main thread per second of its intervals: on a CPU, and waiting for one (ready to run, no core free).
    const perSecond = (ls: { cpu: number; wait: number }[], f: "cpu" | "wait") => {
      const v = ls.filter((l) => Number.isFinite(l[f]));
      return v.length ? (v.reduce((a, l) => a + l[f], 0) / (v.length * 5000)) * 1000 : NaN;
    };
    const loopLine = (ls: { max: number; p99: number; cpu: number; wait: number }[]) =>
      `${ls.filter((l) => l.max > 100).length} of ${ls.length} intervals with a stall > 100 ms; worst ${Math.max(...ls.map((l) => l.max)).toFixed(1)} ms; p99 of the p99s ${quantile(ls.map((l) => l.p99).sort((a, b) => a - b), 0.99).toFixed(1)} ms; ` +
      `main thread on a CPU ${perSecond(ls, "cpu").toFixed(0)} ms/s, waiting for one ${perSecond(ls, "wait").toFixed(0)} ms/s`;
    console.log(
      `  CPU, in cores: web ${cores.web.toFixed(2)}, worker ${cores.worker.toFixed(2)}, load generator ${cores.loadGenerator.toFixed(2)}; machine busy ${cores.machineBusy.toFixed(2)} of ${cores.machine.toFixed(2)} ` +
        `(everything else, e.g. PostgreSQL, Redis, other users: ${(cores.machineBusy - cores.web - cores.worker - cores.loadGenerator).toFixed(2)})`,
    );
    console.log(`  event loop (web, per 5 s):     ${loopLine(loops)}`);
    console.log(`  event loop (control, per 5 s): ${loopLine(controlLoops)}  (an idle process: CPU starvation alone)`);
    console.log(
      "BENCH_JSON " +
        JSON.stringify({ seconds: elapsed, clients, rate, skipped, n, loadavg: os.loadavg(), kinds, status, fiveXX, errors, rss: { web: webTrend, worker: workerTrend, webSecondHalf: half(rss.web), workerSecondHalf: half(rss.worker) }, cores, eventLoop: { perInterval: loops, intervals: loops.length, stalls: stalls.map((s) => s.max), cpuMsPerS: perSecond(loops, "cpu"), runqWaitMsPerS: perSecond(loops, "wait") }, controlEventLoop: { perInterval: controlLoops, intervals: controlLoops.length, stalls: controlLoops.filter((l) => l.max > 100).map((l) => l.max), runqWaitMsPerS: perSecond(controlLoops, "wait") } }),
    );
    if (fiveXX > 0) process.exitCode = 1;
  } finally {
    await Promise.all([web.stop(), worker.stop(), control.stop()]);
    const webLog = arg("web-log", "");
    if (webLog) writeFileSync(webLog, web.output());
  }
}

await prepareSyntheticShop({ shop: SHOP, n, dir, dbUrl, dataDir });
if (!process.argv.includes("--prepare-only")) await run();
process.exit(process.exitCode ?? 0);
