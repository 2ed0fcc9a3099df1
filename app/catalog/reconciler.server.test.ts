import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/databases";
import { createEmbedQueue, createSyncQueue, embedJobId } from "../queues/queues.server";
import { createPrismaClient, type Db } from "../db.server";
import { CLIP_IMAGE_MODEL_ID, DEFAULT_IMAGE_MODEL_ID, MINILM_TEXT_MODEL_ID } from "../embedding/models/model-registry";
import { IMAGE_VECTOR_VERSION, TEXT_VECTOR_VERSION, imageVectorKey, textVectorKey } from "../embedding/vector-versions";
import { parseProductNode } from "./product-node";
import { ensureShop, upsertProduct } from "./product-repository.server";
import { reconcile } from "./reconciler.server";

process.env.REDIS_NAMESPACE = `lookalike-reconcile-test-${process.pid}`;
const shop = "reconcile.myshopify.com";
let database: TestDatabase;
let db: Db;
const connection = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
const embedQueue = createEmbedQueue(connection);
const syncQueue = createSyncQueue(connection);

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  db = createPrismaClient(database.url);
  await ensureShop(db, shop);
  for (const n of [1, 2, 3]) {
    await upsertProduct(db, shop, parseProductNode({ id: `gid://shopify/Product/${n}`, title: `P${n}`, updatedAt: "2026-01-01T00:00:00Z" }), "shopify");
  }
});

afterAll(async () => {
  await embedQueue.obliterate({ force: true }).catch(() => {});
  await Promise.all([embedQueue.close(), syncQueue.close()]);
  connection.disconnect();
  await db.$disconnect();
  await database.drop();
});

describe("reconcile", () => {
  it("re-queues pending products after their jobs were lost, and re-embeds vectors from an older recipe", async () => {
    const [p1, p2] = await db.product.findMany({ where: { shopDomain: shop }, orderBy: { id: "asc" } });
    // p1 embedded with the current recipes, p2 with an older image recipe (single mean vector, no
    // version suffix), p3 pending.
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: p1.id } }, data: { embedState: "embedded", vectorTextHash: textVectorKey(p1.textHash), vectorImageHash: imageVectorKey(p1.imageHash) } });
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: p2.id } }, data: { embedState: "embedded", vectorTextHash: textVectorKey(p2.textHash), vectorImageHash: p2.imageHash } });

    const report = await reconcile({ db, embedQueue, syncQueue }, shop);
    expect(report).toMatchObject({ shops: 1, outdatedProducts: 1, requeuedProducts: 2 });
    const jobs = await embedQueue.getJobs(["waiting"]);
    expect(jobs.map((j) => j.data.productId).sort()).toEqual(["2", "3"]);
    expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } })).embedState).toBe("embedded");

    // Running it again adds nothing: the jobs dedupe by id.
    await reconcile({ db, embedQueue, syncQueue }, shop);
    expect(await embedQueue.getJobCountByTypes("waiting")).toBe(2);
  });

  it("a TEXT_MODEL or IMAGE_MODEL change re-embeds every product, under new job ids", async () => {
    const all = await db.product.findMany({ where: { shopDomain: shop }, orderBy: { id: "asc" } });
    await embedQueue.obliterate({ force: true });
    for (const p of all) {
      await db.product.update({
        where: { shopDomain_id: { shopDomain: shop, id: p.id } },
        data: { embedState: "embedded", vectorTextHash: textVectorKey(p.textHash), vectorImageHash: imageVectorKey(p.imageHash), modelId: DEFAULT_IMAGE_MODEL_ID },
      });
    }
    // The default models: nothing to do.
    expect(await reconcile({ db, embedQueue, syncQueue, models: { imageModelId: DEFAULT_IMAGE_MODEL_ID } }, shop)).toMatchObject({ outdatedProducts: 0, requeuedProducts: 0 });

    // A worker on MiniLM: every hashed text vector is outdated.
    const minilm = { textModelId: MINILM_TEXT_MODEL_ID, imageModelId: DEFAULT_IMAGE_MODEL_ID };
    expect(await reconcile({ db, embedQueue, syncQueue, models: minilm }, shop)).toMatchObject({ outdatedProducts: 3, requeuedProducts: 3 });
    const ids = (await embedQueue.getJobs(["waiting"])).map((j) => j.id).sort();
    expect(ids).toEqual(all.map((p) => embedJobId(shop, p.id, p.textHash, p.imageHash, minilm)).sort());
    expect(ids).not.toContain(embedJobId(shop, all[0].id, all[0].textHash, all[0].imageHash));
    // The id names the hashes, the recipes and the image model, the default one too (the image
    // recipe changes when the stored vectors do, so a recipe change re-embeds under new ids).
    expect(embedJobId(shop, "1", "a".repeat(40), "b".repeat(40), { imageModelId: DEFAULT_IMAGE_MODEL_ID })).toBe(
      `embed|${shop}|1|aaaaaaaaaaaa|bbbbbbbbbbbb|${TEXT_VECTOR_VERSION}|${IMAGE_VECTOR_VERSION}|${DEFAULT_IMAGE_MODEL_ID}`,
    );
    expect(embedJobId(shop, "1", "a".repeat(40), "b".repeat(40), { imageModelId: "color-fallback" })).not.toBe(
      embedJobId(shop, "1", "a".repeat(40), "b".repeat(40), { imageModelId: DEFAULT_IMAGE_MODEL_ID }),
    );

    // Rows the MiniLM worker embedded are current for it; a CLIP image worker redoes them.
    for (const p of all) {
      await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: p.id } }, data: { embedState: "embedded", vectorTextHash: textVectorKey(p.textHash, MINILM_TEXT_MODEL_ID) } });
    }
    expect(await reconcile({ db, embedQueue, syncQueue, models: minilm }, shop)).toMatchObject({ outdatedProducts: 0 });
    expect(await reconcile({ db, embedQueue, syncQueue, models: { ...minilm, imageModelId: CLIP_IMAGE_MODEL_ID } }, shop)).toMatchObject({ outdatedProducts: 3 });
  });
});
