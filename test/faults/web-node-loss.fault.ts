/**
 * A web node lost under load (issue 21): three real web processes behind Debian's HAProxy with the
 * checked-in config, one PostgreSQL, 50 shops; an open loop of signed storefront requests over all
 * shops while one node is SIGKILLed. Only requests in flight on the dead node may fail (≤ 0.1 %),
 * every shop the dead node served is answered by another within 5 s, and no answer names a product
 * the shop does not have. A long fault run (`npm run test:faults`, not `npm test`): on a loaded
 * 2-core machine the surviving nodes' own stalls fail HAProxy's health checks and blur the result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "../../app/db.server";
import { COLOR_DIM } from "../../app/embedding/image/color-signature.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../../app/embedding/models/model-registry";
import { TEXT_DIM } from "../../app/embedding/text/text-vector";
import { appEnv, freePort, startWeb, type AppEnv, type RunningProcess } from "../../scripts/lib/app-processes";
import { haproxyInstalled, startHaproxy, type RunningHaproxy } from "../../scripts/lib/haproxy";
import { syntheticCatalog } from "../../scripts/lib/synthetic-catalog";
import { embeddedRows } from "../../scripts/lib/synthetic-rows";
import { signedUrl } from "../support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "../support/databases";

const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled();
if (required && !available) throw new Error("haproxy is not installed: apt-get install haproxy (CI installs it in .ci/run)");
const POSTGRES_REQUIRED = process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1";

const SHOPS = Array.from({ length: 50 }, (_, i) => `node-loss-${i}.myshopify.com`);
const PER_SHOP = 40;
const RATE = 120; // requests a second, open loop
const SECONDS = 12;
const KILL_AT_MS = 4_000;

interface Sample {
  shop: string;
  sentAt: number;
  status: number;
  node: string;
  ids: string[];
  error?: string;
  doneAt?: number;
}

describe.skipIf(!available)("a web node SIGKILLed under storefront load", () => {
  let database: TestDatabase;
  let lb: RunningHaproxy;
  let lbUrl = "";
  const webs: RunningProcess[] = [];
  const apps: AppEnv[] = [];

  beforeAll(async () => {
    try {
      database = await createTestDatabase("postgresql");
    } catch (err) {
      if (POSTGRES_REQUIRED) throw err;
      database = await createTestDatabase("sqlite");
    }
    // 50 shops of embedded products, written as the worker leaves them (vectors in the rows).
    const db = createPrismaClient(database.url);
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const now = new Date();
    for (const [si, shop] of SHOPS.entries()) {
      await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
      const products = syntheticCatalog({ n: PER_SHOP, dims: { image: spec.dim, color: COLOR_DIM, text: TEXT_DIM }, clusters: 5, seed: 500 + si });
      await db.product.createMany({ data: embeddedRows(shop, products, { modelId: spec.id, now, idOf: (j) => String(7_000_000 + j) }) });
    }
    await db.$disconnect();
    const first = await appEnv(database.url);
    apps.push(first);
    for (let i = 1; i < 3; i++) {
      const port = await freePort();
      const other = await appEnv(database.url); // its own DATA_DIR, as another machine has
      apps.push({ ...other, port, baseUrl: `http://127.0.0.1:${port}`, env: { ...other.env, PORT: String(port), SHOPIFY_APP_URL: `http://localhost:${port}`, REDIS_NAMESPACE: first.env.REDIS_NAMESPACE } });
    }
    for (const app of apps) webs.push(await startWeb(app));
    const lbPort = await freePort();
    lbUrl = `http://127.0.0.1:${lbPort}`;
    lb = await startHaproxy(lbPort, apps.map((a, i) => ({ name: `web${i + 1}`, port: a.port })));
  }, 240_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(webs.map((w) => w.stop()));
    await Promise.all(apps.map((a) => a.cleanup().catch(() => {})));
    await database?.drop();
  });

  const ask = async (shop: string, i: number): Promise<Omit<Sample, "sentAt">> => {
    try {
      const res = await fetch(signedUrl(lbUrl, "similar", shop, { product_id: String(7_000_000 + (i % PER_SHOP)), limit: "4" }), { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      const body = (() => {
        try {
          return JSON.parse(text) as { products?: { id: string }[] };
        } catch {
          return {};
        }
      })();
      const node = res.headers.get("x-lookalike-node") ?? "";
      return { shop, status: res.status, node, ids: (body.products ?? []).map((p) => p.id), ...(res.status === 200 ? {} : { error: `${res.status} ${node} ${text.slice(0, 80)}` }) };
    } catch (err) {
      return { shop, status: 0, node: "", ids: [], error: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
    }
  };

  it("fails at most 0.1 % of requests, moves the dead node's shops within 5 s, and never serves a product the shop lacks", async () => {
    // Every shop opened once on its node.
    const home = new Map<string, string>();
    for (const shop of SHOPS) {
      const s = await ask(shop, 0);
      expect(s.status).toBe(200);
      home.set(shop, s.node);
    }
    const counts = new Map<string, number>();
    for (const n of home.values()) counts.set(n, (counts.get(n) ?? 0) + 1);
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const victimShops = SHOPS.filter((s) => home.get(s) === victim);

    // Open loop: a request every 1/RATE s whatever the answers do; the victim SIGKILLed at KILL_AT_MS.
    const samples: Promise<Sample>[] = [];
    const start = performance.now();
    let killedAt = 0;
    let diedAt = 0; // when its parent saw it exit: requests sent until then may have reached it
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!killedAt && performance.now() - start >= KILL_AT_MS) {
        killedAt = performance.now();
        const dying = webs[Number(victim.slice(3)) - 1].child;
        dying.once("exit", () => (diedAt = performance.now()));
        dying.kill("SIGKILL");
      }
      const shop = SHOPS[(i * 7) % SHOPS.length];
      const sentAt = performance.now();
      samples.push(ask(shop, i).then((s) => ({ ...s, sentAt, doneAt: performance.now() })));
    }
    const done = await Promise.all(samples);
    const failed = done.filter((s) => s.status !== 200);
    // In flight on the dead node at the kill: sent before it, to one of its shops, answered (or not) after.
    const gone = Math.max(killedAt, diedAt);
    const inFlight = done.filter((s) => s.sentAt < gone && home.get(s.shop) === victim && (s.status !== 200 || (s.doneAt ?? 0) > killedAt)).length;
    const firstAfter = victimShops.map((shop) => {
      const ok = done.filter((s) => s.shop === shop && s.sentAt >= killedAt && s.status === 200).sort((a, b) => a.sentAt - b.sentAt)[0];
      return ok ? ok.sentAt - killedAt : Infinity;
    });
    firstAfter.sort((a, b) => a - b);
    const p99 = firstAfter[Math.min(firstAfter.length - 1, Math.ceil(0.99 * firstAfter.length) - 1)];
    console.log(
      `[test] ${done.length} requests at ${RATE}/s over ${SHOPS.length} shops, ${victim} (${victimShops.length} shops) SIGKILLed at ${KILL_AT_MS} ms (exit seen ${(gone - killedAt).toFixed(0)} ms later): ` +
        `${inFlight} in flight on it, ${failed.length} failed (${[...new Set(failed.map((f) => f.error ?? f.status))].join(" | ") || "none"}); its shops' first answer after the kill p99 ${p99.toFixed(0)} ms, max ${firstAfter[firstAfter.length - 1].toFixed(0)} ms`,
    );
    console.log(`[test] failed: ${failed.map((f) => `${home.get(f.shop)}@${(f.sentAt - killedAt).toFixed(0)}ms`).join(" ")}`);
    // Only requests the dead node had taken may fail: ≤ 0.1 % of all, or those in flight on it when
    // more were (on this shared 2-core box an answer takes tens of ms, so several are in flight).
    expect(failed.length).toBeLessThanOrEqual(Math.max(Math.floor(0.001 * done.length), inFlight));
    for (const f of failed) expect(home.get(f.shop), `${f.shop} failed but was not on ${victim}`).toBe(victim);
    for (const f of failed) expect(f.sentAt, "a request sent after the node was gone failed").toBeLessThan(gone);
    expect(p99).toBeLessThanOrEqual(5_000);
    for (const s of done.filter((d) => d.sentAt > killedAt + 3_000 && d.status === 200)) expect(s.node).not.toBe(victim);
    const valid = new Set(Array.from({ length: PER_SHOP }, (_, j) => String(7_000_000 + j)));
    for (const s of done) for (const id of s.ids) expect(valid.has(id), `${s.shop} served ${id}`).toBe(true);
  }, 120_000);
});
