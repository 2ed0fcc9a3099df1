/**
 * The bulk sync's state machine against the local fake Admin API over HTTP, a real SQLite
 * database and real Redis queues — the ends of a bulk operation that the integration test
 * (test/catalog-sync.test.ts) does not run through the whole app: ends that fail the run at once,
 * result links that expired or hiccup, and bulk_operations/finish webhooks for a failed or
 * expired operation. Steps are run directly (no waiting out the 5 s restart pause).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DelayedError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSyncProcessor } from "../../jobs/sync.job";
import { bulkSyncJobId, createEmbedQueue, createSyncQueue, queuePrefix, SYNC_QUEUE, type SyncJobData } from "../queues/queues.server";
import { generateCatalog } from "../../scripts/lib/generated-catalog";
import { FakeAdminApi, type BulkOutcome } from "../../test/fake-shopify/fake-admin-api";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { createPrismaClient, type Db } from "../db.server";
import { AdminGraphqlClient } from "../shopify/admin-graphql.server";
import { handleBulkOperationFinish } from "../webhooks/webhook-handlers.server";
import { bulkOperationState } from "./bulk-operation.server";
import { resultLinkGone } from "./bulk-result.server";
import { MAX_BULK_OPERATIONS, runBulkSyncStep, startFullSync, type BulkSyncDeps } from "./bulk-sync.server";
import { ensureShop } from "./product-repository.server";

process.env.REDIS_NAMESPACE = `lookalike-bulk-sync-test-${process.pid}`;
const PRODUCTS = 12;
const connection = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
const embedQueue = createEmbedQueue(connection);
const syncQueue = createSyncQueue(connection);
const catalogDir = mkdtempSync(path.join(os.tmpdir(), "bulk-sync-catalog-"));
const logs: string[] = [];
let database: TestDatabase;
let db: Db;
let fake: FakeAdminApi;
let deps: BulkSyncDeps;
let shopSeq = 0;

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  db = createPrismaClient(database.url);
  fake = new FakeAdminApi({ catalogFile: await generateCatalog(catalogDir, PRODUCTS), accessToken: "tok", bulkDurationMs: 20 });
  await fake.start();
  deps = {
    db,
    embedQueue,
    syncQueue,
    publisher: connection,
    adminClient: async (shop) => new AdminGraphqlClient({ shop, accessToken: "tok", apiVersion: "2026-01", baseUrl: fake.baseUrl }),
    log: (m) => logs.push(m),
  };
});

afterAll(async () => {
  for (const q of [embedQueue, syncQueue]) await q.obliterate({ force: true }).catch(() => {});
  await Promise.all([embedQueue.close(), syncQueue.close()]);
  connection.disconnect();
  await fake?.stop();
  await db?.$disconnect();
  await database?.drop();
  rmSync(catalogDir, { recursive: true, force: true });
});

async function newRun(): Promise<{ shop: string; runId: string }> {
  const shop = `bulk-${++shopSeq}.myshopify.com`;
  await ensureShop(db, shop);
  return { shop, runId: await startFullSync(deps, shop) };
}

/** Runs steps as the sync job would (without its pauses) until the run needs nothing more. */
async function drive(runId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const step = await runBulkSyncStep(deps, runId);
    if (step.next === "done") return;
    if (step.next === "poll") await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error("the run did not settle");
}

const started = () => fake.log.filter((l) => l.kind === "run").length;
const downloads = () => fake.log.filter((l) => l.kind === "download").map((l) => l.status);
const run = (runId: string) => db.syncRun.findUniqueOrThrow({ where: { id: runId } });

describe("bulk operation ends that fail the run at once", () => {
  it.each<[string, BulkOutcome, string]>([
    ["FAILED (ACCESS_DENIED)", { status: "FAILED", errorCode: "ACCESS_DENIED" }, "Shopify's bulk operation ended FAILED (ACCESS_DENIED): the app may not read the products; reinstall it to grant access, then start the sync again"],
    ["FAILED (TIMEOUT)", { status: "FAILED", errorCode: "TIMEOUT" }, "Shopify's bulk operation ended FAILED (TIMEOUT): Shopify's query timed out while reading the catalog; start the sync again later, and if it times out again, contact support"],
    ["CANCELED", "CANCELED", "Shopify's bulk operation ended CANCELED; start the sync again"],
  ])("%s: no new bulk operation; the run fails with the reason", async (_name, outcome, message) => {
    fake.faults.bulkOutcomes = [outcome];
    const before = started();
    const { shop, runId } = await newRun();
    await drive(runId);
    expect(await run(runId)).toMatchObject({ phase: "failed", bulkOperations: 1, message });
    expect((await run(runId)).finishedAt).not.toBeNull();
    expect(started() - before).toBe(1);
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(0);
  });
});

describe("a bulk result link that no longer works when read", () => {
  it("tells an expired or refused link (any 4xx but 408 and 429) from a transient failure", () => {
    for (const s of [400, 401, 403, 404, 410]) expect(resultLinkGone(s), String(s)).toBe(true);
    for (const s of [408, 429, 500, 502, 503, 504]) expect(resultLinkGone(s), String(s)).toBe(false);
  });

  it("403 then 404: a new bulk operation each time, with a message the admin shows; then every product is read", async () => {
    fake.faults.bulkResultStatuses = [403, 404];
    const before = started();
    const dl = downloads().length;
    const { shop, runId } = await newRun();
    // Up to the first download: the run starts a new bulk operation instead of failing.
    for (let r = await run(runId); r.phase !== "queued" || r.bulkOperations !== 1; r = await run(runId)) {
      const step = await runBulkSyncStep(deps, runId);
      expect(step.next).not.toBe("done");
      if (step.next === "poll") await new Promise((res) => setTimeout(res, 30));
    }
    expect(await run(runId)).toMatchObject({
      bulkOperationId: null,
      bulkResultUrl: null,
      message: "The result of Shopify's bulk operation could no longer be downloaded (HTTP 403: its link expires after a while); starting a new one (2 of 3)",
    });
    await drive(runId);
    expect(downloads().slice(dl)).toEqual([403, 404, 200]);
    expect(started() - before).toBe(3);
    expect(await run(runId)).toMatchObject({ phase: "embedding", bulkOperations: 3, message: null });
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(PRODUCTS);
    expect(logs.some((l) => l.includes(`bulk sync ${shop}: The result of Shopify's bulk operation could no longer be downloaded (HTTP 404`))).toBe(true);
  });

  it(`expired ${MAX_BULK_OPERATIONS} times in a row: the run fails with the reason`, async () => {
    fake.faults.bulkResultStatuses = [410, 410, 410];
    const before = started();
    const { shop, runId } = await newRun();
    await drive(runId);
    expect(fake.faults.bulkResultStatuses).toEqual([]);
    expect(started() - before).toBe(MAX_BULK_OPERATIONS);
    expect(await run(runId)).toMatchObject({
      phase: "failed",
      bulkOperations: MAX_BULK_OPERATIONS,
      message: "The result of Shopify's bulk operation could no longer be downloaded (HTTP 410: its link expires after a while), 3 times in a row; start the sync again later",
    });
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(0);
  });

  it("503 or a refused connection: the step throws (the sync job retries the same link), no new bulk operation", async () => {
    fake.faults.bulkResultStatuses = [503];
    const before = started();
    const dl = downloads().length;
    const { shop, runId } = await newRun();
    let r = await run(runId);
    for (; r.phase !== "reading"; r = await run(runId)) {
      if ((await runBulkSyncStep(deps, runId)).next === "poll") await new Promise((res) => setTimeout(res, 30));
    }
    await expect(runBulkSyncStep(deps, runId)).rejects.toThrow("downloading the bulk result failed: HTTP 503");
    expect(downloads().slice(dl)).toEqual([503]);
    const url = r.bulkResultUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bulk\//);
    // The job's retry, this time meeting a closed port.
    await db.syncRun.update({ where: { id: runId }, data: { bulkResultUrl: "http://127.0.0.1:1/bulk/1.jsonl" } });
    await expect(runBulkSyncStep(deps, runId)).rejects.toThrow(/fetch failed/);
    await db.syncRun.update({ where: { id: runId }, data: { bulkResultUrl: url } });
    expect(await run(runId)).toMatchObject({ phase: "reading", bulkOperations: 1, message: null });
    // The next retry reads it.
    await drive(runId);
    expect(started() - before).toBe(1);
    expect(await run(runId)).toMatchObject({ phase: "embedding", bulkOperations: 1, message: null });
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(PRODUCTS);
  });
});

describe("bulk_operations/finish for a FAILED or EXPIRED operation", () => {
  it.each<[string, BulkOutcome, { phase: string; message: RegExp }]>([
    ["EXPIRED", "EXPIRED", { phase: "queued", message: /^Shopify's bulk operation ended EXPIRED; starting a new one \(2 of 3\)$/ }],
    ["FAILED (ACCESS_DENIED)", { status: "FAILED", errorCode: "ACCESS_DENIED" }, { phase: "failed", message: /^Shopify's bulk operation ended FAILED \(ACCESS_DENIED\): the app may not read the products/ }],
  ])("%s: the webhook only wakes the run's job, which reads the status from node(id:) and acts on it", async (_name, outcome, expected) => {
    fake.faults.bulkOutcomes = [outcome];
    await syncQueue.obliterate({ force: true }); // the jobs of the runs above, never taken
    const { shop, runId } = await newRun();
    const processJob = createSyncProcessor(deps);
    // Jobs taken by hand, so that nothing but the webhook moves them (a delayed job becomes
    // waiting only through a worker fetching, or a promote).
    const worker = new Worker<SyncJobData>(SYNC_QUEUE, null, { connection: connection.duplicate(), prefix: queuePrefix() });
    const token = "test-token";
    const take = async () => {
      const job = await worker.getNextJob(token, { block: false });
      if (!job) throw new Error("no job waiting");
      return processJob(job, token).catch((err) => (err instanceof DelayedError ? "delayed" : Promise.reject(err)));
    };
    try {
      expect(await take()).toBe("delayed"); // started the bulk operation; polls again in 1 s
      const { bulkOperationId } = await run(runId);
      const client = await deps.adminClient(shop);
      while (["CREATED", "RUNNING"].includes((await bulkOperationState(client, bulkOperationId!)).status)) await new Promise((r) => setTimeout(r, 30));
      const job = (await syncQueue.getJob(bulkSyncJobId(shop, runId)))!;
      expect(await job.getState()).toBe("delayed");

      const before = await run(runId);
      const calls = fake.log.length;
      const status = typeof outcome === "string" ? outcome : outcome.status;
      const res = await handleBulkOperationFinish(
        { db, queue: embedQueue, syncQueue, publisher: connection, dataDir: catalogDir, adminClient: deps.adminClient },
        { shop, topic: "bulk_operations/finish", webhookId: `wh-${runId}`, payload: { admin_graphql_api_id: bulkOperationId, status: status.toLowerCase(), error_code: typeof outcome === "string" ? null : outcome.errorCode, type: "query" } },
      );
      expect(res).toEqual({ status: 200, note: "sync woken" });
      // Woken, nothing else: the run is as it was and Shopify was not asked anything.
      expect(await job.getState()).toBe("waiting");
      expect(await run(runId)).toEqual(before);
      expect(fake.log.length).toBe(calls);

      const result = await take();
      const nodeCalls = fake.log.slice(calls).map((l) => l.kind);
      expect(nodeCalls).toEqual(["node"]); // the status came from node(id:)
      const after = await run(runId);
      expect(after.phase).toBe(expected.phase);
      expect(after.message).toMatch(expected.message);
      expect(after.bulkOperations).toBe(1);
      expect(result).toBe(expected.phase === "queued" ? "delayed" : "done");
    } finally {
      await worker.close();
    }
  });
});

describe.each(await databaseKinds())("one full sync of a shop at a time, on %s", (kind) => {
  it("starts asked at once from several places (install, the admin's button, two workers) make one run and one job", async () => {
    const own = await createTestDatabase(kind);
    const ownDb = createPrismaClient(own.url);
    try {
      const shop = `bulk-${++shopSeq}.myshopify.com`;
      await ensureShop(ownDb, shop);
      const ids = await Promise.all(Array.from({ length: 4 }, () => startFullSync({ db: ownDb, syncQueue }, shop)));
      expect(new Set(ids).size).toBe(1);
      expect(await ownDb.syncRun.count({ where: { shopDomain: shop, kind: "bulk" } })).toBe(1);
      const jobs = (await syncQueue.getJobs(["waiting", "delayed", "active", "prioritized"])).filter((j) => j.data.shop === shop);
      expect(jobs).toHaveLength(1);
    } finally {
      await ownDb.$disconnect();
      await own.drop();
    }
  }, 60_000);
});
