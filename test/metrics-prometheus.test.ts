/**
 * Prometheus metrics end to end: a real web process and worker with their metrics ports and a
 * bearer token, a real `prometheus` scraping both every second, and the series checked through
 * Prometheus' HTTP API (they exist and they move). Then bad input: a missing or wrong token gets
 * a bare 401, and odd paths, shops and product ids create no new label values.
 *
 * Needs /usr/bin/prometheus (Debian's `prometheus`): skipped with a warning when it is missing,
 * unless CI or REQUIRE_PROMETHEUS=1 (then it fails).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_ROUTES } from "../app/metrics/http-routes";
import { ALL_METRIC_NAMES, HISTOGRAM_METRIC_NAMES } from "../app/ops/metric-names";
import { REFUSAL_KINDS } from "../app/metrics/web-metrics.server";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, freePort, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const required = !!process.env.CI || process.env.REQUIRE_PROMETHEUS === "1";
const hasPrometheus = statSync(PROMETHEUS, { throwIfNoEntry: false })?.isFile() ?? false;
if (!hasPrometheus && required) throw new Error(`Prometheus is required (CI / REQUIRE_PROMETHEUS=1) but ${PROMETHEUS} is missing: apt-get install prometheus`);
if (!hasPrometheus) console.warn(`[test] ${PROMETHEUS} missing: skipping the Prometheus metrics test (apt-get install prometheus; REQUIRE_PROMETHEUS=1 makes this a failure)`);

const shop = "metrics-test.myshopify.com";
const TOKEN = "metrics-test-token-7f3a";
const PRODUCTS = 24;

let database: TestDatabase;
let app: AppEnv;
let web: RunningProcess;
let worker: RunningProcess;
let prometheus: ChildProcess | undefined;
let promDir: string;
let promUrl: string;
let webMetricsUrl: string;
let workerMetricsUrl: string;
let catalogFile: string;

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(q: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== "success") throw new Error(`query ${q}: ${body.error}`);
  return body.data.result;
}

/** The single value of a scalar-like query (0 when it has no series). */
async function value(q: string): Promise<number> {
  const r = await query(q);
  return r.length ? Number(r[0].value[1]) : 0;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
    last = await read();
  }
  return last;
}

const similar = (productId: string, s = shop) => fetch(signedUrl(app.baseUrl, "similar", s, { product_id: productId, limit: "5" }));
const auth = { Authorization: `Bearer ${TOKEN}` };

describe.skipIf(!hasPrometheus)("Prometheus metrics of the web process and the worker", () => {
  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    const [webPort, workerPort, promPort] = [await freePort(), await freePort(), await freePort()];
    app = await appEnv(database.url, { METRICS_PORT: String(webPort), WORKER_METRICS_PORT: String(workerPort), METRICS_TOKEN: TOKEN, METRICS: "1" });
    webMetricsUrl = `http://127.0.0.1:${webPort}/metrics`;
    workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    catalogFile = await generateCatalog(path.join(app.dataDir, "catalog"));
    promDir = mkdtempSync(path.join(os.tmpdir(), "lookalike-prometheus-"));
    const job = (name: string, port: number) =>
      `  - job_name: ${name}\n    authorization:\n      credentials: ${TOKEN}\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`;
    writeFileSync(path.join(promDir, "prometheus.yml"), `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${job("web", webPort)}${job("worker", workerPort)}`);
    promUrl = `http://127.0.0.1:${promPort}`;
    let promLog = "";
    prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(promDir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"], { stdio: ["ignore", "pipe", "pipe"] });
    prometheus.stdout!.on("data", (d) => (promLog += d));
    prometheus.stderr!.on("data", (d) => (promLog += d));
    prometheus.on("error", (err) => (promLog += `could not start ${PROMETHEUS}: ${err.message}`));
    [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
    await until("prometheus ready", () => fetch(`${promUrl}/-/ready`).then((r) => r.status, () => 0), (s) => s === 200, 30_000).catch((err) => {
      throw new Error(`${err.message}\n${promLog}`);
    });
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", catalogFile, "--wait"], app.env);
    expect(res.code, res.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    await Promise.all([web?.stop(), worker?.stop()]);
    await database?.drop();
    await app?.cleanup();
    if (promDir) rmSync(promDir, { recursive: true, force: true });
  });

  it("scrapes both processes with the token", async () => {
    await until("both targets up", async () => (await query("up")).map((s) => `${s.metric.job}=${s.value[1]}`).sort(), (v) => v.join() === "web=1,worker=1");
    // prom-client's default metrics, event-loop lag included, on both.
    for (const job of ["web", "worker"]) {
      expect(await query(`nodejs_eventloop_lag_seconds{job="${job}"}`)).toHaveLength(1);
      expect(await value(`process_resident_memory_bytes{job="${job}"}`)).toBeGreaterThan(10e6);
    }
  }, 60_000);

  it("counts requests by route and status class: the histogram's count grows after requests", async () => {
    const q = `sum(lookalike_http_request_duration_seconds_count{job="web",route="similar",status_class="2xx"})`;
    const before = await value(q);
    for (let i = 1; i <= 12; i++) expect((await similar(String(9100000000 + i))).status).toBe(200);
    await until("similar requests counted", () => value(q), (v) => v >= before + 12);
    expect((await fetch(`${app.baseUrl}/proxy/nope`)).status).toBeGreaterThanOrEqual(400);
    await until("an 'other' 4xx counted", () => value(`sum(lookalike_http_request_duration_seconds_count{route="other",status_class="4xx"})`), (v) => v >= 1);
    expect(await value(`sum(lookalike_http_request_duration_seconds_bucket{route="similar",le="+Inf"})`)).toBe(await value(q.replace(',status_class="2xx"', "")));
  }, 60_000);

  it("reads the storefront's own counters at scrape time: cache, plans, live shops, shop opens", async () => {
    // The same request twice: the second answer comes from the in-process LRU.
    await similar("9100000003");
    await similar("9100000003");
    await until("cache lookups", async () => [await value(`lookalike_result_cache_lookups_total{layer="miss"}`), await value(`lookalike_result_cache_lookups_total{layer="lru"}`)], ([miss, lru]) => miss >= 1 && lru >= 1);
    // The miss was answered from the product's stored neighbour list, or — the lists being made in
    // the background right after the shop opened — by a search of the index, counted by plan.
    const [answered, searched] = await until(
      "similar answers by source",
      async () => [await value(`lookalike_similar_stored_lists_total{outcome="answered"}`), await value(`lookalike_similar_stored_lists_total{outcome="searched"}`)],
      ([a, s]) => a + s >= 1,
    );
    if (searched >= 1) await until("hnsw plans", () => value(`lookalike_search_plans_total{plan="hnsw"}`), (v) => v >= 1);
    expect(answered + searched).toBeGreaterThanOrEqual(1);
    expect(await value("lookalike_live_shops")).toBe(1);
    expect(await value("lookalike_live_catalog_bytes")).toBeGreaterThan(0);
    expect(await value(`lookalike_shop_opens_total{outcome="ok"}`)).toBe(1);
    expect(await value("lookalike_shop_open_duration_seconds_count")).toBe(1);
    expect(await query(`lookalike_photo_admissions_refused_total{reason="busy"}`)).toHaveLength(1);
    expect(await query(`lookalike_http_refusals_total{kind="body-too-large"}`)).toHaveLength(1);
  }, 60_000);

  it("counts embed jobs after the import, and shows the queue depths", async () => {
    await until("embed jobs counted", () => value(`sum(lookalike_embed_jobs_total{job="worker",outcome="embedded"})`), (v) => v >= PRODUCTS);
    expect(await value(`sum(lookalike_embed_job_duration_seconds_count{outcome="embedded"})`)).toBeGreaterThanOrEqual(PRODUCTS);
    const depths = await query(`lookalike_queue_jobs{job="worker"}`);
    const seen = new Set(depths.map((s) => `${s.metric.queue}/${s.metric.state}`));
    for (const q of ["lookalike-embed", "lookalike-sync"]) for (const state of ["waiting", "active", "delayed", "failed"]) expect(seen).toContain(`${q}/${state}`);
    expect(await query(`lookalike_image_fetch_failures_total{cause="not_found"}`)).toHaveLength(1);
  }, 60_000);

  it("measures how late a catalog change reaches the web process, image failures and snapshot saves", async () => {
    const before = await value("lookalike_catalog_change_lag_seconds_count");
    // A real change: one product re-titled, imported, embedded by the worker, published; the web
    // process applies it at the shop's next request.
    const lines = readFileSync(catalogFile, "utf8").trim().split("\n");
    const first = JSON.parse(lines[0]) as { title: string };
    lines[0] = JSON.stringify({ ...first, title: `${first.title} (renamed)`, updatedAt: new Date().toISOString() });
    // And a new product whose photo is missing: the worker counts a not_found image failure.
    const missing = JSON.parse(lines[1]) as { id: string; handle: string; media: { nodes: { image: { url: string } }[] } };
    missing.id = "gid://shopify/Product/9100000099";
    missing.handle = "missing-photo";
    missing.media.nodes[0].image.url = "images/no-such-photo.png";
    lines.push(JSON.stringify(missing));
    const changed = path.join(path.dirname(catalogFile), "changed.jsonl");
    writeFileSync(changed, `${lines.join("\n")}\n`);
    const notFoundBefore = await value(`lookalike_image_fetch_failures_total{cause="not_found"}`);
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", changed, "--wait"], app.env);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim().split("\n").pop()!)).toMatchObject({ products: PRODUCTS + 1, failed: 1 });
    await until("image failure counted", () => value(`lookalike_image_fetch_failures_total{cause="not_found"}`), (v) => v > notFoundBefore);
    await until("failed embed job counted", () => value(`lookalike_embed_jobs_total{outcome="failed"}`), (v) => v >= 1);
    await until(
      "change lag observed",
      async () => (await similar("9100000002"), await value("lookalike_catalog_change_lag_seconds_count")),
      (v) => v > before,
    );
    // Published and applied on one machine, within seconds.
    expect(await value("lookalike_catalog_change_lag_seconds_sum")).toBeLessThan(60 * (before + 5));
    // The changes are saved to the shop's snapshot a few seconds later (SAVE_DELAY_MS).
    await until("snapshot saved", () => value(`lookalike_snapshot_saves_total{outcome="ok"}`), (v) => v >= 1);
    expect(await value(`lookalike_snapshot_saves_total{outcome="failed"}`)).toBe(0);
  }, 120_000);

  it("exports every series the Grafana dashboard (ops/grafana/lookalike.json) reads, once requests and jobs have run", async () => {
    await until("both targets up", async () => (await query("up")).map((s) => `${s.metric.job}=${s.value[1]}`).sort(), (v) => v.join() === "web=1,worker=1");
    const missing: string[] = [];
    for (const name of ALL_METRIC_NAMES) {
      const series = (HISTOGRAM_METRIC_NAMES as readonly string[]).includes(name) ? `${name}_count` : name;
      if ((await query(`count(${series})`)).length === 0) missing.push(name);
    }
    expect(missing).toEqual([]);
  }, 60_000);

  describe("bad input", () => {
    it("answers a missing or wrong token with a bare 401, on both ports", async () => {
      for (const url of [webMetricsUrl, workerMetricsUrl]) {
        for (const headers of <Record<string, string>[]>[{}, { Authorization: "Bearer wrong" }, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: `Basic ${TOKEN}` }]) {
          const res = await fetch(url, { headers });
          expect(res.status).toBe(401);
          expect(await res.text()).toBe("");
        }
        const ok = await fetch(url, { headers: auth });
        expect(ok.status).toBe(200);
        expect(await ok.text()).toMatch(/^nodejs_eventloop_lag_seconds /m);
      }
      // Not on the web port (what the app proxy forwards to), under any path.
      for (const p of ["/metrics", "/proxy/metrics", "/proxy/../metrics"]) {
        const res = await fetch(`${app.baseUrl}${p}`, { headers: auth });
        expect(await res.text()).not.toMatch(/nodejs_eventloop_lag_seconds|lookalike_http_request_duration_seconds/);
      }
    });

    it("creates no new label values from odd paths, shops or product ids", async () => {
      let requests = 0;
      const labelValues = async () => {
        const text = await (await fetch(webMetricsUrl, { headers: auth })).text();
        requests = 0;
        for (const m of text.matchAll(/^lookalike_http_request_duration_seconds_count\{.*\} (\d+)$/gm)) requests += Number(m[1]);
        const pairs = new Set<string>();
        for (const line of text.split("\n")) {
          if (!line || line.startsWith("#")) continue;
          const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} /.exec(line);
          if (!m) continue;
          for (const [, k, v] of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) pairs.add(`${m[1]} ${k}=${v}`);
        }
        return pairs;
      };
      const marker = `zq${Date.now().toString(36)}`;
      // New values are allowed only from the fixed sets, and none may carry what the client sent.
      const before = await labelValues();
      const requestsBefore = requests;
      const odd: (() => Promise<unknown>)[] = [
        () => fetch(`${app.baseUrl}/proxy/similar-${marker}`),
        () => fetch(`${app.baseUrl}/${marker}/${marker}?x=${marker}`),
        () => fetch(`${app.baseUrl}/proxy/similar?product_id=${marker}&shop=${marker}.myshopify.com`),
        () => similar(`${marker}`),
        () => similar("91000099999"),
        () => similar("9100000001", `${marker}.myshopify.com`),
        () => fetch(signedUrl(app.baseUrl, `images/${marker}`, shop)),
        () => fetch(`${app.baseUrl}/app/${marker}`),
        () => fetch(`${app.baseUrl}/webhooks/${marker}`, { method: "POST", body: marker }),
        () => fetch(`${app.baseUrl}/proxy/events`, { method: "POST", body: JSON.stringify({ product_id: marker, shop: marker }) }),
        () => fetch(`${app.baseUrl}/proxy/similar?${"a".repeat(20_000)}${marker}`),
        () => fetch(`${app.baseUrl}/proxy/similar`, { method: "PATCH" }),
        () => fetch(`${app.baseUrl}/%zz${marker}`),
      ];
      for (const send of odd) await send().then((r) => (r as Response).arrayBuffer?.(), () => {});
      const after = await labelValues();
      const allowed: Record<string, readonly string[]> = {
        route: HTTP_ROUTES,
        status_class: ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted", "other"],
        kind: [...REFUSAL_KINDS, "other"],
      };
      // Ours only: Node's default metrics gain labels of their own (nodejs_active_resources{type="Timeout"}…).
      const added = [...after].filter((p) => !before.has(p) && p.startsWith("lookalike_"));
      for (const pair of added) {
        const [, kv] = pair.split(" ");
        const [k, v] = kv.split("=");
        if (k === "le") continue; // a new (route, status) child has the same fixed buckets
        expect(allowed[k], `new label ${pair}`).toBeDefined();
        expect(allowed[k]).toContain(v);
      }
      for (const pair of after) expect(pair).not.toContain(marker);
      // The bucket values are the histogram's fixed ones.
      const les = new Set([...after].filter((p) => p.includes(" le=")).map((p) => p.split("le=")[1]));
      expect(les.size).toBeLessThanOrEqual(30);
      // The odd requests were counted (all but the oversized head, which Node's parser refuses before any request).
      expect(requests).toBeGreaterThanOrEqual(requestsBefore + odd.length - 1);
    });
  });
});
