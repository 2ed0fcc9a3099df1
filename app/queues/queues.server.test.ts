/**
 * Two databases sharing one Redis never share a job (first-impressions finding 1): equal shop,
 * product and content give equal job ids, so the queues themselves are per database (the prefix
 * carries the database's tag). Before, a second database's job was swallowed by the first's.
 */
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_IMAGE_MODEL_ID } from "../embedding/models/model-registry";
import { COLOR_FALLBACK_MODEL_ID } from "../embedding/image/image-embedder.server";
import { deleteNamespaceKeys } from "../../scripts/lib/redis-keys";
import { createEmbedQueue, EMBED_QUEUE, embedJobId, enqueueEmbedJobs, queuePrefix, replaceFinishedJobs } from "./queues.server";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const namespace = `lookalike-test-queues-${process.pid}`;
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });

afterAll(async () => {
  connection.disconnect();
  await deleteNamespaceKeys(REDIS_URL, namespace);
});

describe("embed jobs of two databases on one Redis", () => {
  const envOf = (url: string): NodeJS.ProcessEnv => ({ ...process.env, REDIS_NAMESPACE: namespace, DATABASE_URL: url });
  const a = envOf("file:/srv/clone-a/data/lookalike.db");
  const b = envOf("file:/srv/clone-b/data/lookalike.db");

  it("live in different queues, so equal job ids are two jobs", async () => {
    expect(queuePrefix(a)).not.toBe(queuePrefix(b));
    expect(queuePrefix(a).startsWith(`${namespace}:`)).toBe(true);
    const qa = createEmbedQueue(connection, queuePrefix(a));
    const qb = createEmbedQueue(connection, queuePrefix(b));
    const request = { shop: "same.myshopify.com", productId: "1", textHash: "t".repeat(40), imageHash: "i".repeat(40) };
    await enqueueEmbedJobs(qa, [request]);
    await enqueueEmbedJobs(qb, [request]);
    const id = embedJobId(request.shop, request.productId, request.textHash, request.imageHash);
    const [ja, jb] = await Promise.all([qa.getJob(id), qb.getJob(id)]);
    expect(ja?.id).toBe(id);
    expect(jb?.id).toBe(id);
    // Database A's worker finishing (here: removing) its job leaves database B's job in place.
    await ja!.remove();
    expect((await qb.getJob(id))?.id).toBe(id);
    expect(await qb.count()).toBe(1);
    await Promise.all([qa.close(), qb.close()]);
  });

  it("name the image model, the default one included, so a model change never reuses an id", () => {
    const id = (imageModelId?: string) => embedJobId("s.myshopify.com", "1", "t".repeat(40), "i".repeat(40), { imageModelId });
    expect(id(COLOR_FALLBACK_MODEL_ID)).not.toBe(id(DEFAULT_IMAGE_MODEL_ID));
    expect(id()).toBe(id(DEFAULT_IMAGE_MODEL_ID));
    expect(id()).toContain(DEFAULT_IMAGE_MODEL_ID);
  });
});

describe("replaceFinishedJobs", () => {
  it("removes a finished job under a product's id, so the product's new job is queued, not swallowed", async () => {
    const prefix = `${namespace}:replace`;
    const queue = createEmbedQueue(connection, prefix);
    const request = { shop: "replace.myshopify.com", productId: "7", textHash: "t".repeat(40), imageHash: "i".repeat(40) };
    const id = embedJobId(request.shop, request.productId, request.textHash, request.imageHash);
    await enqueueEmbedJobs(queue, [request]);
    const worker = new Worker(EMBED_QUEUE, async () => "done", { connection: connection.duplicate(), prefix });
    await new Promise<void>((resolve) => worker.on("completed", () => resolve()));
    await worker.close();
    expect(await queue.getJobState(id)).toBe("completed");
    await enqueueEmbedJobs(queue, [request]);
    expect(await queue.getJobState(id)).toBe("completed"); // swallowed: what kept a catalog on the fallback

    expect(await replaceFinishedJobs(queue, [request])).toBe(1);
    await enqueueEmbedJobs(queue, [request]);
    expect(await queue.getJobState(id)).toBe("waiting");
    expect(await replaceFinishedJobs(queue, [request])).toBe(0); // a waiting job is left alone
    await queue.close();
  });
});

describe("queuePrefix", () => {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_NAMESPACE: "shop-app", DATABASE_URL: "file:/srv/app/data/lookalike.db", REDIS_CLUSTER_NODES: undefined };
  it("is unchanged on one Redis (existing deployments keep their queued jobs), a hash tag on a cluster", () => {
    const single = queuePrefix(env);
    expect(single).toMatch(/^shop-app:db-[0-9a-f]+$/);
    // Every key of every queue is `{<namespace>:db-<tag>}:<queue>:…`: one slot, as BullMQ's scripts need.
    expect(queuePrefix({ ...env, REDIS_CLUSTER_NODES: "127.0.0.1:7000,127.0.0.1:7001" })).toBe(`{${single}}`);
  });
});
