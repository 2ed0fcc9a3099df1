/**
 * Our services failing under the running product (web + worker, PostgreSQL): the app's Redis
 * (a private `redis-server`, nothing on disk) crashes and comes back empty mid-sync; the database
 * becomes unreachable for a few seconds (a TCP proxy between the app and PostgreSQL is cut: open
 * connections destroyed, new ones refused) mid-sync and under storefront load. Afterwards: both
 * processes alive, the sync complete, every product searchable exactly once.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, ROOT, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, databaseKinds, type TestDatabase } from "./support/databases";
import { PrivateRedis } from "./support/private-redis";
import { expectSearchableOnce as expectSearchableOnceAt } from "./support/searchable";
import { similarLoad } from "./support/similar-load";
import { TcpProxy } from "./support/tcp-proxy";
import { restProduct, sendWebhook } from "./support/webhook-client";

const LUMA = path.resolve(ROOT, "../shared/datasets/luma-dev/catalog.jsonl");
const hasPostgres = (await databaseKinds()).includes("postgresql");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** The first `n` products of luma-dev, image paths made absolute so the file can live anywhere. */
function lumaSubset(dir: string, n: number): string {
  const base = pathToFileURL(path.dirname(LUMA)).href;
  const lines = readFileSync(LUMA, "utf8").split("\n").filter(Boolean).slice(0, n);
  const file = path.join(dir, `luma-${n}.jsonl`);
  writeFileSync(file, lines.map((l) => l.replaceAll('"url":"images/', `"url":"${base}/images/`)).join("\n") + "\n");
  return file;
}

describe.skipIf(!hasPostgres)("services failing under the running product (PostgreSQL)", () => {
  const store = "faults-store.myshopify.com"; // synced first; the storefront load's shop
  let database: TestDatabase;
  let db: Db;
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let app: AppEnv;
  let web: RunningProcess;
  let worker: RunningProcess;
  let storeIds: string[] = [];
  let luma = "";

  const counts = async (shop: string) => ({
    total: await db.product.count({ where: { shopDomain: shop } }),
    embedded: await db.product.count({ where: { shopDomain: shop, embedState: "embedded" } }),
    failed: await db.product.count({ where: { shopDomain: shop, embedState: "failed" } }),
  });
  const importCatalog = async (shop: string, file: string, wait = false, env = app.env) => {
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, ...(wait ? ["--wait"] : [])], env);
    expect(res.code, res.stderr).toBe(0);
  };
  /** Every product answers /proxy/similar; no answer has a duplicate; together they cover the catalog. */
  const expectSearchableOnce = (shop: string) => expectSearchableOnceAt(app.baseUrl, db, shop);

  beforeAll(async () => {
    redis = new PrivateRedis();
    await redis.start();
    database = await createTestDatabase("postgresql");
    db = createPrismaClient(database.url);
    const target = new URL(database.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    app = await appEnv(viaProxy.toString(), {
      REDIS_URL: redis.url,
      RECONCILE_INTERVAL_MS: "2000",
      RECONCILE_STALE_MS: "3000",
      DATABASE_CONNECT_TIMEOUT_MS: "2000",
    });
    luma = lumaSubset(app.dataDir, 80);
    [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
    await importCatalog(store, await generateCatalog(path.join(app.dataDir, "store")), true);
    storeIds = (await db.product.findMany({ where: { shopDomain: store }, select: { id: true } })).map((p) => p.id);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([web?.stop(), worker?.stop()]);
    await proxy?.stop();
    await redis?.stop();
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
  });

  it("Redis crashes and restarts empty mid-sync: web and worker reconnect, the sync completes, every product searchable exactly once", async () => {
    const shop = "faults-redis.myshopify.com";
    await importCatalog(shop, luma);
    await until("some products embedded", async () => (await counts(shop)).embedded >= 10);
    const load = similarLoad({ baseUrl: () => app.baseUrl, shop: store, productIds: () => storeIds, clients: 3, pauseMs: 20 });
    await sleep(500);
    await redis.stop("SIGKILL");
    await sleep(3_000);
    expect((await counts(shop)).embedded).toBeLessThan(80);
    await redis.start(); // same port, empty: every job and key is gone
    await until("sync done", async () => (await counts(shop)).embedded === 80, 120_000);
    const { counts: answered, answers } = await load.stop();

    expect(web.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect(await counts(shop)).toEqual({ total: 80, embedded: 80, failed: 0 });
    expect(worker.output()).toMatch(/reconciler: .*requeuedProducts/);
    // The outage is said in a few lines, not a stack trace per reconnect attempt.
    for (const p of [web, worker]) {
      expect(p.output()).not.toMatch(/\n\s+at /);
      const lines = p
        .output()
        .split("\n")
        .filter((l) => /ECONNREFUSED/.test(l));
      expect(lines.length, lines.join("\n")).toBeLessThan(12);
    }
    // The storefront answered from memory throughout: no error, no request left hanging.
    expect(answered, JSON.stringify(answered)).toEqual({ "200": answers.length });
    await expectSearchableOnce(shop);
    console.log(`[faults] Redis restart: storefront ${JSON.stringify(answered)}`);
  }, 180_000);

  it("the database unreachable for a few seconds mid-sync and under load: the storefront answers from memory or a clear 503, the worker retries, nothing is lost", async () => {
    const shop = "faults-db.myshopify.com";
    await importCatalog(shop, luma);
    await until("some products embedded", async () => (await counts(shop)).embedded >= 10);
    const load = similarLoad({ baseUrl: () => app.baseUrl, shop: store, productIds: () => storeIds, clients: 3, pauseMs: 20 });
    await sleep(500);
    await proxy.cut();
    const cutAt = Date.now();
    await sleep(1_500);
    // A shop this web process never loaded cannot be answered from memory: a clear 503.
    const cold = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: "8100000001" }), { signal: AbortSignal.timeout(10_000) });
    const coldBody = await cold.text();
    expect([cold.status, cold.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(JSON.parse(coldBody)).toEqual({ error: { code: "unavailable", message: expect.stringMatching(/briefly unavailable/) } });
    await sleep(Math.max(0, 4_000 - (Date.now() - cutAt)));
    expect((await counts(shop)).embedded).toBeLessThan(80);
    await proxy.restore();
    await until("sync done", async () => (await counts(shop)).embedded === 80, 120_000);
    const { counts: answered, answers } = await load.stop();

    expect(web.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect(await counts(shop)).toEqual({ total: 80, embedded: 80, failed: 0 });
    // Loaded catalog: served from memory during the cut, every answer a 200 in time.
    expect(answered, JSON.stringify(answered)).toEqual({ "200": answers.length });
    expect(answers.filter((a) => a.at > cutAt && a.at < cutAt + 4_000).length).toBeGreaterThan(20);
    expect(web.output()).toMatch(/serving it from memory/);
    for (const p of [web, worker]) expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
    await expectSearchableOnce(shop);
    console.log(`[faults] database cut: storefront ${JSON.stringify(answered)}`);
  }, 180_000);

  it("the database away longer than the embed jobs' retry budget mid-import: jobs give up, the products stay pending, and the reconciler alone makes every one searchable exactly once", async () => {
    const shop = "faults-db-long.myshopify.com";
    // A short retry budget through the environment (3 attempts, 200 ms backoff: a job gives up
    // well under a second after its first failure; by default 4 attempts, ~14 s), for the import
    // that queues the jobs and the worker that runs them and re-queues them (reconciler).
    const shortBudget = { ...app.env, EMBED_JOB_ATTEMPTS: "3", EMBED_JOB_BACKOFF_MS: "200" };
    await worker.stop();
    worker = await startWorker({ ...app, env: shortBudget });
    await importCatalog(shop, luma, false, shortBudget);
    await until("some products embedded", async () => (await counts(shop)).embedded >= 10);
    await proxy.cut();
    const cutAt = Date.now();
    const from = worker.output().length;
    const gaveUp = () =>
      worker
        .output()
        .slice(from)
        .split("\n")
        .filter((l) => /\] embed .*giving up/.test(l));
    // The outage outlasts the retry budget: jobs exhaust their attempts while the database is away.
    await until("embed jobs giving up during the outage", async () => gaveUp().length >= 10, 30_000);
    await sleep(Math.max(0, 5_000 - (Date.now() - cutAt)));
    const mid = await counts(shop);
    expect(mid.embedded).toBeLessThan(80);
    expect(mid.failed).toBe(0);
    expect(
      gaveUp().every((l) => /stays pending and the reconciler queues it again/.test(l)),
      gaveUp().slice(0, 3).join("\n"),
    ).toBe(true);
    await proxy.restore();
    const restoredAt = Date.now();
    await until("every product embedded", async () => (await counts(shop)).embedded === 80, 60_000);

    expect(worker.child.exitCode).toBeNull();
    expect(await counts(shop)).toEqual({ total: 80, embedded: 80, failed: 0 });
    // Nobody re-queued them but the reconciler (no operator action, no new import).
    expect(worker.output().slice(from)).toMatch(/reconciler: .*"requeuedProducts":[1-9]/);
    const run = await db.syncRun.findFirstOrThrow({ where: { shopDomain: shop }, orderBy: { startedAt: "desc" } });
    await until("the import run done", async () => (await db.syncRun.findUniqueOrThrow({ where: { id: run.id } })).phase === "done", 30_000);
    expect(await db.syncRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({ phase: "done", failed: 0 });
    for (const p of [web, worker]) expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
    await expectSearchableOnce(shop);
    console.log(`[faults] long database cut: ${gaveUp().length} jobs gave up, all 80 embedded ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after the database came back`);
  }, 180_000);

  it("webhooks arriving while the database is away get a 503 and are not recorded; Shopify's retry after recovery lands exactly once", async () => {
    const [priced, removed] = [storeIds[3], storeIds[4]];
    const before = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: store, id: priced } } });
    const update = {
      topic: "products/update",
      shop: store,
      webhookId: "outage-update-1",
      payload: restProduct({
        id: Number(priced),
        title: before.title,
        handle: before.handle,
        productType: before.productType,
        price: "4321.00",
        updatedAt: "2026-09-01T00:00:00Z",
        imageUrl: JSON.parse(before.imageUrls)[0],
      }),
    };
    const remove = { topic: "products/delete", shop: store, webhookId: "outage-delete-1", payload: { id: Number(removed) } };
    const deliveries = () => db.webhookDelivery.count({ where: { id: { in: [update.webhookId, remove.webhookId] } } });

    await proxy.cut();
    try {
      for (const d of [update, remove]) {
        const started = Date.now();
        const res = await sendWebhook(app.baseUrl, d);
        expect([d.topic, res.status, await res.text()]).toEqual([d.topic, 503, "database unavailable; retry later"]);
        expect(res.headers.get("retry-after")).toBe("10");
        expect(Date.now() - started).toBeLessThan(5_000); // within Shopify's 5 s webhook timeout
      }
      // Nothing recorded and nothing changed (read directly, not through the cut proxy).
      expect(await deliveries()).toBe(0);
      expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: store, id: priced } } })).priceText).toBe(before.priceText);
      expect(await db.product.count({ where: { shopDomain: store, id: removed } })).toBe(1);
    } finally {
      await proxy.restore();
    }

    // Shopify retries the same deliveries (same ids, same bodies) once the database is back.
    for (const d of [update, remove]) expect([d.topic, (await sendWebhook(app.baseUrl, d)).status]).toEqual([d.topic, 200]);
    expect(await deliveries()).toBe(2);
    expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: store, id: priced } } })).priceText).toBe("4321.00");
    expect(await db.product.count({ where: { shopDomain: store, id: removed } })).toBe(0);
    // A further retry of either is a duplicate: nothing happens twice.
    for (const d of [update, remove]) {
      const again = await sendWebhook(app.baseUrl, {
        ...d,
        payload: d === update ? { ...update.payload, variants: [{ id: 1, price: "1.00" }], updated_at: "2026-09-02T00:00:00Z" } : d.payload,
      });
      expect([d.topic, again.status, await again.text()]).toEqual([d.topic, 200, "duplicate delivery"]);
    }
    expect(await deliveries()).toBe(2);

    // The storefront shows the change once: the new price on exactly one product, the deleted one nowhere.
    const other = storeIds.find((id) => id !== priced && id !== removed)!;
    const deadline = Date.now() + 30_000;
    let cards: { id: string; price: string }[];
    for (;;) {
      const res = await fetch(signedUrl(app.baseUrl, "similar", store, { product_id: other, limit: "50" }));
      cards = ((await res.json()) as { products: { id: string; price: string }[] }).products;
      if ((cards.some((c) => c.id === priced && c.price === "4321.00") && !cards.some((c) => c.id === removed)) || Date.now() > deadline) break;
      await sleep(250);
    }
    expect(cards.filter((c) => c.id === priced).map((c) => c.price)).toEqual(["4321.00"]);
    expect(cards.map((c) => c.id)).not.toContain(removed);
    expect(new Set(cards.map((c) => c.id)).size).toBe(cards.length);
    expect(web.output()).not.toMatch(/\n\s+at /); // no stack trace
    expect(web.output()).toMatch(/webhook answered 503, the database is unavailable/);
  }, 120_000);
});
