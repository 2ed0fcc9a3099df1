import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/databases";
import { createPrismaClient, type Db } from "../db.server";
import { parseProductNode } from "./product-node";
import { ensureShop, upsertProduct } from "./product-repository.server";
import { finishEmbeddedRuns, recordSyncItems, setSyncRunTotal, startSyncRun } from "./sync-runs.server";

const shop = "runs.myshopify.com";
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  db = createPrismaClient(database.url);
  await ensureShop(db, shop);
  for (const n of [1, 2, 3]) {
    await upsertProduct(db, shop, parseProductNode({ id: `gid://shopify/Product/${n}`, title: `P${n}`, updatedAt: "2026-01-01T00:00:00Z" }), "shopify");
  }
});

afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe("sync run progress", () => {
  it("a run finished from product states shows every item accounted for, and late counts from jobs do not move it", async () => {
    const runId = await startSyncRun(db, shop, "bulk");
    await setSyncRunTotal(db, runId, 3, 0);
    await recordSyncItems(db, runId, 1, 0);
    // All three products are embedded, but two jobs have not reported yet.
    await db.product.updateMany({ where: { shopDomain: shop }, data: { embedState: "embedded" } });
    expect(await finishEmbeddedRuns(db, shop)).toBe(1);
    const finished = await db.syncRun.findUniqueOrThrow({ where: { id: runId } });
    expect(finished).toMatchObject({ phase: "done", total: 3, done: 3, failed: 0 });

    await recordSyncItems(db, runId, 2, 0);
    expect(await db.syncRun.findUniqueOrThrow({ where: { id: runId } })).toEqual(finished);
  });

  it("a run is not finished while any product of the shop is still pending", async () => {
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "2" } }, data: { embedState: "pending" } });
    const runId = await startSyncRun(db, shop, "bulk");
    await setSyncRunTotal(db, runId, 3, 2);
    expect(await finishEmbeddedRuns(db, shop)).toBe(0);
    expect((await db.syncRun.findUniqueOrThrow({ where: { id: runId } })).phase).toBe("embedding");
    // A read that restarted counts the two embedded products again: the counters say 4 of 3, but
    // product 2 is still pending, so the run goes on.
    await setSyncRunTotal(db, runId, 3, 2);
    expect((await db.syncRun.findUniqueOrThrow({ where: { id: runId } })).phase).toBe("embedding");
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "2" } }, data: { embedState: "embedded" } });
    await recordSyncItems(db, runId, 1, 0);
    expect(await db.syncRun.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ phase: "done", done: 3, failed: 0 });
  });
});
