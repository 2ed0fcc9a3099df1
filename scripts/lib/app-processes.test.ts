/**
 * A test run leaves nothing of its Redis namespace behind (first-impressions finding 3): a real
 * web process on appEnv's namespace does its usual Redis work (queues, cached results, rate
 * limits), then `cleanup()` must leave no key of that namespace. Before, every integration test
 * left its `lookalike-test-*` keys in the shared Redis.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/databases";
import { signedUrl } from "../../test/support/app-proxy-client";
import { createEmbedQueue, enqueueEmbedJobs, queuePrefix } from "../../app/queues/queues.server";
import { appEnv, startWeb, type AppEnv, type RunningProcess } from "./app-processes";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const keysOf = async (namespace: string) => (await redis.keys(`${namespace}:*`)).sort();

describe("appEnv().cleanup", () => {
  let database: TestDatabase;
  let app: AppEnv;
  let web: RunningProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    app = await appEnv(database.url);
  }, 120_000);

  afterAll(async () => {
    await web?.stop();
    await database?.drop();
    redis.disconnect();
  });

  it("deletes every key of the run's Redis namespace", async () => {
    const namespace = app.env.REDIS_NAMESPACE!;
    web = await startWeb(app);
    // What a run puts in Redis: an embed job (as the import does) and the web's storefront work.
    const queue = createEmbedQueue(redis.duplicate(), queuePrefix(app.env));
    await enqueueEmbedJobs(queue, [{ shop: "clean.myshopify.com", productId: "1", textHash: "t".repeat(40), imageHash: "i".repeat(40) }]);
    await queue.close();
    for (let i = 0; i < 3; i++) await fetch(signedUrl(app.baseUrl, "similar", "clean.myshopify.com", { product_id: "1" }));
    expect((await keysOf(namespace)).length).toBeGreaterThan(0);
    await web.stop();
    web = undefined;

    await app.cleanup();
    expect(await keysOf(namespace)).toEqual([]);
  }, 120_000);
});
