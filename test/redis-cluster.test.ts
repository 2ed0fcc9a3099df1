/**
 * Lookalike on a real Redis Cluster (REDIS_CLUSTER_NODES; docs/decisions/0014-redis-cluster.md):
 * 6 redis-server processes (3 masters, 3 replicas) started by the test, the real worker process
 * (`npm run worker`), the real web process (server.ts over the production build) and the real
 * import CLI as producer. Embed and sync jobs run exactly once,
 * catalog changes reach a subscriber, the result cache and the rate limits work, and after the
 * master holding the queues' slot is SIGKILLed mid-embedding (its replica promoted), every queued
 * job still completes exactly once, the web process still serves, and a change published after the
 * failover is received — also after the subscriber's own node is killed.
 */
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogChanged } from "../app/catalog/catalog-changed.server";
import { subscribeCatalogChanges, type CatalogSubscription } from "../app/catalog/catalog-events.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { createEmbedQueue, createSyncQueue, EMBED_QUEUE, enqueueReconcile, queuePrefix, type EmbedJobData, type SyncJobData } from "../app/queues/queues.server";
import { redisAddressFromEnv } from "../app/redis-address";
import { createBullConnection, createRedis, scanKeys, type RedisClient } from "../app/redis.server";
import { RateLimits } from "../app/storefront/rate-limits.server";
import { ResultCache } from "../app/storefront/result-cache.server";
import { deleteShopKeys } from "../app/webhooks/webhook-handlers.server";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, freePort, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { RedisCluster } from "../scripts/lib/redis-cluster";

const TOKEN = "cluster-metrics-token";
const SHOP_A = "cluster-a.myshopify.com";
const SHOP_B = "cluster-b.myshopify.com";
const N_A = 16;
const N_B = 60;

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

describe("on a Redis Cluster (3 masters, 3 replicas)", () => {
  const cluster = new RedisCluster();
  let database: TestDatabase;
  let db: Db;
  let app: AppEnv;
  let worker: RunningProcess;
  let web: RunningProcess;
  let address: string;
  let metricsUrl: string;
  let connection: RedisClient;
  let client: RedisClient;
  let embedQueue: Queue<EmbedJobData>;
  let syncQueue: Queue<SyncJobData>;
  let subscription: CatalogSubscription;
  const changes: { shop: string; version: number }[] = [];
  let reconnects = 0;
  const timings: Record<string, number> = {};

  /** The worker's own count of embed job attempts, by outcome (its Prometheus counter). */
  const attempts = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^lookalike_embed_jobs_total\{outcome="(\w+)"\} (\d+)/gm)) if (Number(m[2]) > 0) out[m[1]] = Number(m[2]);
    return out;
  };
  const total = (a: Record<string, number>) => Object.values(a).reduce((x, y) => x + y, 0);
  const embedded = (shop: string) => db.product.count({ where: { shopDomain: shop, embedState: "embedded" } });
  const importCatalog = async (shop: string, n: number, dir: string) => {
    const file = await generateCatalog(path.join(app.dataDir, dir), n);
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file], app.env);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim()).enqueued).toBe(n);
  };
  /**
   * Every job of the embed queue completed, after one finished attempt (attemptsMade), none failed,
   * none left. Returns the jobs BullMQ handed out twice: a job whose hand-out (moveToActive) ran on
   * the killed master but whose answer was lost is found stalled once its lock expires and handed
   * out again — its processor still ran once (the worker's own count says so, see below).
   */
  const expectEveryJobCompletedOnce = async (count: number): Promise<string[]> => {
    const counts = await embedQueue.getJobCounts("completed", "failed", "waiting", "paused", "active", "delayed");
    expect(counts).toEqual({ completed: count, failed: 0, waiting: 0, paused: 0, active: 0, delayed: 0 });
    const jobs = await embedQueue.getJobs(["completed"], 0, count);
    expect(jobs.length).toBe(count);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(count);
    expect(jobs.filter((j) => j.attemptsMade !== 1 || j.finishedOn === undefined).map((j) => j.id)).toEqual([]);
    return jobs.filter((j) => j.stalledCounter > 0 || j.attemptsStarted !== 1).map((j) => String(j.id));
  };

  beforeAll(async () => {
    let t = Date.now();
    await cluster.start();
    timings.clusterStartMs = Date.now() - t;
    database = await createTestDatabase("sqlite");
    db = createPrismaClient(database.url);
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    app = await appEnv(database.url, {
      REDIS_CLUSTER_NODES: cluster.nodesList,
      METRICS: "1",
      METRICS_TOKEN: TOKEN,
      WORKER_METRICS_PORT: String(metricsPort),
      // Only the jobs the test queues: no reconciler pass re-queues a product in the middle.
      RECONCILE_INTERVAL_MS: "3600000",
      RECONCILE_STALE_MS: "3600000",
    });
    address = redisAddressFromEnv(app.env);
    expect(address).toBe(`redis-cluster://${cluster.nodesList}`);
    process.env.REDIS_NAMESPACE = app.env.REDIS_NAMESPACE; // the change channel's and the cache's namespace
    connection = createBullConnection(address);
    client = createRedis(address);
    embedQueue = createEmbedQueue(connection, queuePrefix(app.env));
    syncQueue = createSyncQueue(connection, queuePrefix(app.env));
    subscription = subscribeCatalogChanges(address, { onChange: (shop, version) => changes.push({ shop, version }), onReconnect: () => reconnects++ });
    t = Date.now();
    [worker, web] = await Promise.all([startWorker(app), startWeb(app)]);
    timings.processesStartMs = Date.now() - t;
  }, 300_000);

  afterAll(async () => {
    await Promise.all([worker?.stop(), web?.stop()]);
    await subscription?.close();
    await Promise.all([embedQueue?.close(), syncQueue?.close()]);
    connection?.disconnect();
    await app?.cleanup();
    client?.disconnect();
    await db?.$disconnect();
    await database?.drop();
    await cluster.stop();
    console.log(`[redis-cluster] timings ${JSON.stringify(timings)}`);
  }, 120_000);

  it("keeps every key of a queue in one slot: the prefix is a hash tag", async () => {
    const prefix = queuePrefix(app.env);
    expect(prefix).toMatch(new RegExp(`^\\{${app.env.REDIS_NAMESPACE}:db-[0-9a-f]+\\}$`));
    const keys: string[] = [];
    for await (const batch of scanKeys(client, `${prefix}:*`)) keys.push(...batch);
    expect(keys.length).toBeGreaterThan(0); // the worker's startup reconcile job, at least
    const slots = new Set(await Promise.all(keys.map(async (k) => Number(await client.call("CLUSTER", "KEYSLOT", k)))));
    expect(slots.size).toBe(1);
  });

  it("runs the embed jobs the import queued on the real worker exactly once, and tells the subscriber", async () => {
    const t = Date.now();
    await importCatalog(SHOP_A, N_A, "catalog-a");
    await until("shop A embedded", () => embedded(SHOP_A), (n) => n === N_A);
    timings.embedAMs = Date.now() - t;
    await until("the worker's attempt count", attempts, (a) => total(a) >= N_A, 10_000);
    // The worker's processor ran once per job: N_A attempts, all of them embeds (a second run of a
    // job would count as "skipped": its product is embedded already).
    expect(await attempts()).toEqual({ embedded: N_A });
    expect(await expectEveryJobCompletedOnce(N_A)).toEqual([]);
    // The import and the worker's coalesced per-shop notices went through the cluster's pub/sub.
    await until("a change notice for shop A", async () => changes.filter((c) => c.shop === SHOP_A).length, (n) => n >= 1, 10_000);
  }, 300_000);

  it("runs a sync (reconcile) job on the real worker exactly once", async () => {
    await enqueueReconcile(syncQueue, 1_000);
    const done = await until(
      "the reconcile job",
      async () => (await syncQueue.getJobs(["completed", "failed"])).filter((j) => j.name === "reconcile" && String(j.id).startsWith("reconcile|") && !String(j.id).startsWith("reconcile|start|")),
      (jobs) => jobs.length >= 1,
      60_000,
    );
    expect(done.map((j) => [j.finishedOn !== undefined, j.failedReason, j.attemptsStarted])).toEqual([[true, undefined, 1]]);
  }, 120_000);

  it("delivers a change notification to a subscriber", async () => {
    const before = changes.length;
    const version = await catalogChanged({ db, publisher: client }, SHOP_A);
    await until("the notice", async () => changes.slice(before), (c) => c.some((x) => x.shop === SHOP_A && x.version === version), 10_000);
  });

  /** The storefront's similar-products answer from the real web process (ids of the products). */
  const similar = async (shop: string, productId: string) => {
    const res = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productId, limit: "5" }));
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { products: { id: string }[] }).products.map((p) => p.id);
  };
  const keysOf = async (pattern: string) => {
    const keys: string[] = [];
    for await (const batch of scanKeys(client, pattern)) keys.push(...batch);
    return keys;
  };

  it("serves the storefront from the real web process on the cluster: ready, answers cached and rate-limited in the cluster", async () => {
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, expect.stringContaining("ready")]);
    const ids = await similar(SHOP_A, "9100000001");
    expect(ids.length).toBe(5);
    expect(ids).not.toContain("9100000001");
    expect(await similar(SHOP_A, "9100000001")).toEqual(ids);
    const ns = app.env.REDIS_NAMESPACE!;
    expect((await keysOf(`${ns}:res:${SHOP_A}:*`)).length).toBeGreaterThan(0); // the result cache's hash
    // A similar-products answer read from a stored neighbour list is not charged (decision 0015); a
    // storefront event always is: its rate-limit counters live in the cluster.
    const event = await fetch(signedUrl(app.baseUrl, "events", SHOP_A), {
      method: "POST",
      body: JSON.stringify({ type: "click", productId: "9100000001" }),
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
    });
    expect(event.status, await event.text()).toBeLessThan(300);
    expect((await keysOf(`${ns}:rl:events:*${SHOP_A}*`)).length).toBeGreaterThan(0); // the rate-limit counters
  }, 120_000);

  it("caches results and counts rate limits in the cluster, and a shop's redaction deletes its keys on every master", async () => {
    const cache = new ResultCache(client, { enabled: true, lruEntries: 0, ttlSeconds: 60, namespace: app.env.REDIS_NAMESPACE!, redisMaxEntries: 3 });
    await until("the client ready", async () => client.status, (s) => s === "ready", 10_000);
    const shops = ["cache-1.myshopify.com", "cache-2.myshopify.com", "cache-3.myshopify.com", "cache-4.myshopify.com"];
    for (const shop of shops) {
      for (let i = 0; i < 4; i++) expect(await cache.set(cache.key(shop, 1, "w", `q${i}`), Buffer.from(`${shop} ${i}`))).toBe(i < 3 ? 1 : -1);
      expect((await cache.remote(cache.key(shop, 1, "w", "q1")))?.toString()).toBe(`${shop} 1`);
      expect(await cache.remote(cache.key(shop, 1, "w", "q3"))).toBeUndefined();
    }
    // The shops' hashes lie on several masters (4 shops, 3 masters: at least 2 slots' owners).
    const limits = new RateLimits(client, { similar: { perShop: 3, perIp: 2 }, photo: { perShop: 0, perIp: 0 }, events: { perShop: 0, perIp: 0 } }, 0);
    const outcomes: number[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await limits.check("similar", shops[0], `10.0.0.${i % 2}`).then(() => 200, (e: { status: number }) => e.status));
    expect(outcomes).toEqual([200, 200, 200, 429]);
    const ipOutcomes: number[] = [];
    for (let i = 0; i < 3; i++) ipOutcomes.push(await limits.check("similar", shops[1], "10.0.0.9").then(() => 200, (e: { status: number }) => e.status));
    expect(ipOutcomes).toEqual([200, 200, 429]);
    // A second process' limiter (another client) sees the same counters.
    const other = createRedis(address);
    try {
      await expect(new RateLimits(other, { similar: { perShop: 3, perIp: 0 }, photo: { perShop: 0, perIp: 0 }, events: { perShop: 0, perIp: 0 } }, 0).check("similar", shops[0], undefined)).rejects.toMatchObject({ status: 429 });
    } finally {
      other.disconnect();
    }
    expect(await deleteShopKeys(client, shops[0])).toBeGreaterThanOrEqual(2); // its cache hash and its limit counters
    expect(await cache.remote(cache.key(shops[0], 1, "w", "q1"))).toBeUndefined();
    expect((await cache.remote(cache.key(shops[1], 1, "w", "q1")))?.toString()).toBe(`${shops[1]} 1`);
  });

  it("survives a SIGKILL of the master holding the queues' slot mid-embedding: every job completes exactly once, and a later notice arrives", async () => {
    const queueKey = `${queuePrefix(app.env)}:${EMBED_QUEUE}:wait`;
    // The jobs are queued (and copied to the replica) before the kill; the worker is busy with
    // them when the master dies.
    await embedQueue.pause();
    await importCatalog(SHOP_B, N_B, "catalog-b");
    const master = cluster.masterOf(queueKey);
    await cluster.waitForReplicas(master);
    const before = await attempts();
    await embedQueue.resume();
    const embeddedAtKill = await until("the worker busy with shop B", () => embedded(SHOP_B), (n) => n >= 3, 60_000);
    const t = Date.now();
    const { killed, promoted } = await cluster.killMasterOf(queueKey, master);
    timings.failoverMs = Date.now() - t;
    expect(promoted).not.toBe(killed);
    timings.embeddedAtKill = embeddedAtKill;
    expect(embeddedAtKill).toBeLessThan(N_B); // killed mid-embedding

    await until("shop B embedded after the failover", () => embedded(SHOP_B), (n) => n === N_B);
    timings.embedBAfterKillMs = Date.now() - t;
    const after = await until("the worker's attempt count", attempts, (a) => total(a) - total(before) >= N_B, 10_000);
    expect(after).toEqual({ embedded: N_A + N_B });
    const handedOutTwice = await expectEveryJobCompletedOnce(N_A + N_B);
    timings.handedOutTwice = handedOutTwice.length;
    expect(handedOutTwice.length).toBeLessThanOrEqual(8); // at most the worker's concurrency, in flight at the kill
    expect(worker.child.exitCode).toBeNull();
    // The web process rode the failover out too, and serves the shop embedded across it.
    expect(web.child.exitCode).toBeNull();
    expect((await similar(SHOP_B, "9100000001")).length).toBe(5);

    const seen = changes.length;
    const version = await catalogChanged({ db, publisher: client }, SHOP_B);
    await until("a notice published after the failover", async () => changes.slice(seen), (c) => c.some((x) => x.shop === SHOP_B && x.version === version), 30_000);
    // The old master comes back as its replacement's replica: every master has a replica again.
    await cluster.restart(killed);
  }, 400_000);

  it("moves the subscription when the subscriber's own node is SIGKILLed: a later notice still arrives", async () => {
    // This process' subscription (its connection is named after the channel and the pid); the web
    // process holds one of its own.
    const ours = `:catalog-changed:${process.pid}`;
    const [node] = await until("the subscriber's node", async () => cluster.subscriberNodes(ours), (p) => p.length === 1, 10_000);
    const wasMaster = cluster.isMaster(node);
    const reconnectsBefore = reconnects;
    await cluster.kill(node);
    await cluster.waitOk();
    timings.subscriberNodeWasMaster = wasMaster ? 1 : 0;
    await until("the subscription on another node", async () => cluster.subscriberNodes(ours), (p) => p.length === 1 && p[0] !== node, 30_000);
    const seen = changes.length;
    const version = await catalogChanged({ db, publisher: client }, SHOP_A);
    await until("a notice published after the subscriber's node died", async () => changes.slice(seen), (c) => c.some((x) => x.shop === SHOP_A && x.version === version), 30_000);
    // Messages of the gap are covered by a version re-check: the node's loss counted as a reconnect.
    await until("the node's loss counted as a reconnect", async () => reconnects, (n) => n > reconnectsBefore, 30_000);
  }, 200_000);
});
