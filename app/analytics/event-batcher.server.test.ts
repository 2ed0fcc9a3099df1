/**
 * EventBatcher on both databases: counts summed in memory and written as a few atomic increments
 * (exact across concurrent "processes"), flushed on its timer and on close, kept and retried after a
 * failed flush (database away), bounded in pending rows (drops counted, one log line).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { createPrismaClient, type Db } from "../db.server";
import { EventBatcher, eventBatcherOptionsFromEnv } from "./event-batcher.server";

const kinds = await databaseKinds();
const MANUAL = { flushMs: 3_600_000, maxPendingKeys: 10_000 };
const unreachable = { sqlite: "file:/nonexistent-dir/lookalike/events.db", postgresql: "postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=2" };

describe("eventBatcherOptionsFromEnv", () => {
  it("reads EVENTS_FLUSH_MS and EVENTS_MAX_PENDING_KEYS, ignoring nonsense", () => {
    expect(eventBatcherOptionsFromEnv({})).toEqual({ flushMs: 2_000, maxPendingKeys: 20_000 });
    expect(eventBatcherOptionsFromEnv({ EVENTS_FLUSH_MS: "500", EVENTS_MAX_PENDING_KEYS: "10" })).toEqual({ flushMs: 500, maxPendingKeys: 10 });
    expect(eventBatcherOptionsFromEnv({ EVENTS_FLUSH_MS: "x", EVENTS_MAX_PENDING_KEYS: "-1" })).toEqual({ flushMs: 2_000, maxPendingKeys: 20_000 });
  });
});

describe.each(kinds)("EventBatcher on %s", (kind) => {
  let database: TestDatabase;
  let client: Db;
  let broken: Db;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    client = createPrismaClient(database.url);
    broken = createPrismaClient(unreachable[kind]);
  }, 60_000);
  afterAll(async () => {
    await broken?.$disconnect().catch(() => {});
    await client?.$disconnect();
    await database?.drop();
  });

  const days = (shop: string) => client.dailyStat.findMany({ where: { shopDomain: shop }, orderBy: { day: "asc" } });
  const products = (shop: string) =>
    client.productDailyStat.findMany({ where: { shopDomain: shop }, orderBy: [{ day: "asc" }, { productId: "asc" }] }).then((rows) => rows.map((p) => [p.day, p.productId, p.impressions, p.clicks]));

  it("sums 200 events into a handful of rows, per UTC day and product, written by one flush", async () => {
    const shop = "sum.myshopify.com";
    const b = new EventBatcher(() => client, MANUAL);
    const at = new Date("2026-03-01T23:59:59Z");
    for (let i = 0; i < 120; i++) b.add(shop, { type: "impression", productIds: ["1", "2"] }, at);
    for (let i = 0; i < 50; i++) b.add(shop, { type: "click", productIds: ["2"] }, at);
    for (let i = 0; i < 29; i++) b.add(shop, { type: "photo_search", productIds: [] }, at);
    b.add(shop, { type: "click", productIds: ["1"] }, new Date("2026-03-02T00:00:01Z"));
    expect(b.stats().pendingKeys).toBe(5); // 2 days + 3 (day, product) rows
    expect(await days(shop)).toEqual([]); // nothing written before the flush
    await b.flush();
    expect(b.stats()).toMatchObject({ pendingKeys: 0, writtenKeys: 5, dropped: 0 });
    expect(await days(shop)).toEqual([
      { shopDomain: shop, day: "2026-03-01", impressions: 120, clicks: 50, photoSearches: 29 },
      { shopDomain: shop, day: "2026-03-02", impressions: 0, clicks: 1, photoSearches: 0 },
    ]);
    expect(await products(shop)).toEqual([["2026-03-01", "1", 120, 0], ["2026-03-01", "2", 120, 50], ["2026-03-02", "1", 0, 1]]);
    await b.close();
  });

  it("adds to existing rows atomically: several processes flushing at once lose no count", async () => {
    const shop = "atomic.myshopify.com";
    const at = new Date("2026-04-01T12:00:00Z");
    const webs = Array.from({ length: 4 }, () => new EventBatcher(() => client, MANUAL));
    for (let round = 0; round < 3; round++) {
      webs.forEach((b, i) => {
        for (let k = 0; k <= i; k++) b.add(shop, { type: "impression", productIds: ["7", String(100 + k)] }, at);
        b.add(shop, { type: "click", productIds: ["7"] }, at);
      });
      await Promise.all(webs.map((b) => b.flush()));
    }
    // Per round: impressions 1+2+3+4 = 10, clicks 4.
    expect(await days(shop)).toEqual([{ shopDomain: shop, day: "2026-04-01", impressions: 30, clicks: 12, photoSearches: 0 }]);
    expect(await products(shop)).toEqual([
      ["2026-04-01", "100", 12, 0], ["2026-04-01", "101", 9, 0], ["2026-04-01", "102", 6, 0], ["2026-04-01", "103", 3, 0], ["2026-04-01", "7", 30, 12],
    ]);
  });

  it("flushes on its timer and on close", async () => {
    const shop = "timer.myshopify.com";
    const at = new Date("2026-05-01T00:00:00Z");
    const timed = new EventBatcher(() => client, { flushMs: 50, maxPendingKeys: 100 });
    timed.add(shop, { type: "photo_search", productIds: [] }, at);
    await vi.waitFor(async () => expect((await days(shop))[0]?.photoSearches).toBe(1), { timeout: 5_000, interval: 20 });
    const closing = new EventBatcher(() => client, MANUAL);
    closing.add(shop, { type: "impression", productIds: ["5"] }, at);
    await closing.close();
    expect(await days(shop)).toEqual([{ shopDomain: shop, day: "2026-05-01", impressions: 1, clicks: 0, photoSearches: 1 }]);
    expect(await products(shop)).toEqual([["2026-05-01", "5", 1, 0]]);
    await timed.close();
  });

  it("keeps the counts of a failed flush (database away) and writes them, once, at the next try", async () => {
    const shop = "retry.myshopify.com";
    const at = new Date("2026-06-01T00:00:00Z");
    let current = broken;
    const log = vi.fn();
    const b = new EventBatcher(() => current, MANUAL, log);
    for (let i = 0; i < 10; i++) b.add(shop, { type: "impression", productIds: ["1", "2"] }, at);
    await b.flush();
    expect(b.stats()).toMatchObject({ pendingKeys: 3, failedFlushes: 1, writtenKeys: 0 });
    expect(log).toHaveBeenCalledWith(expect.stringContaining("flush failed, 3 rows kept"));
    b.add(shop, { type: "click", productIds: ["2"] }, at); // arrives while the database is away
    await b.flush(); // fails again: still kept, not doubled
    expect(b.stats()).toMatchObject({ pendingKeys: 3, failedFlushes: 2 });
    current = client; // the database is back
    await b.flush();
    expect(b.stats()).toMatchObject({ pendingKeys: 0, writtenKeys: 3 });
    expect(await days(shop)).toEqual([{ shopDomain: shop, day: "2026-06-01", impressions: 10, clicks: 1, photoSearches: 0 }]);
    expect(await products(shop)).toEqual([["2026-06-01", "1", 10, 0], ["2026-06-01", "2", 10, 1]]);
  }, 30_000);

  it("holds at most maxPendingKeys rows: counts for new rows beyond are dropped, counted, logged once", async () => {
    const shop = "bound.myshopify.com";
    const at = new Date("2026-07-01T00:00:00Z");
    const log = vi.fn();
    const b = new EventBatcher(() => client, { flushMs: 3_600_000, maxPendingKeys: 5 }, log);
    for (let i = 0; i < 100; i++) b.add(shop, { type: "impression", productIds: [String(1000 + i)] }, at);
    expect(b.stats()).toMatchObject({ pendingKeys: 5, dropped: 96 });
    expect(log).toHaveBeenCalledTimes(1);
    b.add(shop, { type: "impression", productIds: ["1000"] }, at); // existing rows still count
    await b.close();
    expect(await days(shop)).toEqual([{ shopDomain: shop, day: "2026-07-01", impressions: 101, clicks: 0, photoSearches: 0 }]);
    expect(await products(shop)).toEqual([["2026-07-01", "1000", 2, 0], ["2026-07-01", "1001", 1, 0], ["2026-07-01", "1002", 1, 0], ["2026-07-01", "1003", 1, 0]]);
  });
});
