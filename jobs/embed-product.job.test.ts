/**
 * The embed job on a real BullMQ queue and worker (Redis), a real database and the real model: a
 * photo whose host fails every time, next to one that works, makes the job retry while attempts
 * remain; the last attempt embeds the product from the photo that came.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultImageFetchPolicy } from "../app/catalog/image-fetch.server";
import { parseProductNode } from "../app/catalog/product-node";
import { ensureShop, upsertProduct } from "../app/catalog/product-repository.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { createImageEmbedder, type ImageEmbedder } from "../app/embedding/image/image-embedder.server";
import { createHashedTextEmbedder } from "../app/embedding/text/text-embedder.server";
import { unpackVectors } from "../app/embedding/vector-codec";
import { createTestDatabase, type TestDatabase } from "../test/support/databases";
import { createEmbedProcessor, createNotifier } from "./embed-product.job";
import type { EmbedJobData } from "../app/queues/queues.server";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const shop = "job-retry.myshopify.com";
const prefix = `lookalike-test-embed-job-${process.pid}`;

describe("embed job: a photo that fails for a moment next to one that works", () => {
  let database: TestDatabase;
  let db: Db;
  let embedder: ImageEmbedder;
  let photoDir: string;
  let connection: Redis;
  let publisher: Redis;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    db = createPrismaClient(database.url);
    await ensureShop(db, shop);
    embedder = await createImageEmbedder({ modelsDir: path.resolve("models") });
    photoDir = mkdtempSync(path.join(os.tmpdir(), "embed-job-"));
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    publisher = new Redis(REDIS_URL);
  }, 60_000);

  afterAll(async () => {
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length) await connection.del(...keys);
    connection?.disconnect();
    publisher?.disconnect();
    await embedder?.close();
    await db?.$disconnect();
    await database?.drop();
    rmSync(photoDir, { recursive: true, force: true });
  });

  it("retries while attempts remain, then embeds from the photo that came and names the other", async () => {
    const good = path.join(photoDir, "good.png");
    await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#fff"/><circle cx="100" cy="100" r="70" fill="#2980b9"/></svg>`))
      .png()
      .toFile(good);
    // A host that resets every connection: a transient failure each time.
    let requests = 0;
    const host = createServer((req) => {
      requests++;
      req.socket.destroy();
    });
    host.listen(0, "127.0.0.1");
    await once(host, "listening");
    const flaky = `http://127.0.0.1:${(host.address() as { port: number }).port}/flaky.png`;

    const queueName = "embed-retry";
    const queue = new Queue<EmbedJobData>(queueName, { connection, prefix });
    const events = new QueueEvents(queueName, { connection: connection.duplicate(), prefix });
    const notifier = createNotifier({ db, publisher });
    const deps = { db, embedder, textEmbedder: createHashedTextEmbedder(), fetchPolicy: defaultImageFetchPolicy({ NODE_ENV: "test" }), publisher, notifier };
    const worker = new Worker<EmbedJobData>(queueName, createEmbedProcessor(deps), { connection: connection.duplicate(), prefix });
    try {
      await events.waitUntilReady();
      await upsertProduct(
        db,
        shop,
        parseProductNode({ id: "gid://shopify/Product/1", title: "Cap", updatedAt: "2026-01-01T00:00:00Z", media: { nodes: [{ image: { url: pathToFileURL(good).href } }, { image: { url: flaky } }] } }),
        "import",
      );
      const job = await queue.add("embed", { shop, productId: "1" }, { attempts: 3, backoff: { type: "fixed", delay: 50 } });
      await job.waitUntilFinished(events, 60_000);

      // One request per attempt: the first two attempts gave up on the product to retry it.
      expect(requests).toBe(3);
      const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } });
      expect(row.embedState).toBe("embedded");
      expect(unpackVectors(row.imageVectors!, embedder.dim)).toHaveLength(1);
      expect(row.embedError).toMatch(/some images skipped: .*flaky\.png/);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
      await notifier.flush();
      host.closeAllConnections();
      host.close();
    }
  }, 90_000);
});
