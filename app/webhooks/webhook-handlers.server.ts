/**
 * What each webhook topic does. Routes authenticate (HMAC) and call these; these are idempotent:
 * a delivery id seen before from the same shop is acknowledged and ignored.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Queue } from "bullmq";
import type { Db } from "../db.server";
import { redisNamespace, scanKeys, unlinkKeys, type RedisClient } from "../redis.server";
import { bulkSyncJobId, enqueueBulkSync, enqueueEmbedJobs, type EmbedJobData, type SyncJobData } from "../queues/queues.server";
import { catalogChanged, catalogGone } from "../catalog/catalog-changed.server";
import { parseProductNode, productNumericId, ProductNodeError, restProductToNode } from "../catalog/product-node";
import { deleteProduct, deleteShopData, upsertProduct } from "../catalog/product-repository.server";
import { inventoryItemGid, productOfInventoryItem } from "../catalog/product-by-inventory-item.server";
import type { AdminGraphqlClient } from "../shopify/admin-graphql.server";
import type { ProductRecord } from "../catalog/product-node";

export interface WebhookDeps {
  db: Db;
  queue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  publisher: RedisClient;
  dataDir: string;
  /** The shop's Admin API client (its offline token): inventory webhooks read the product back. */
  adminClient: (shop: string) => Promise<AdminGraphqlClient>;
}

export interface WebhookInput {
  shop: string;
  topic: string;
  webhookId: string;
  payload: unknown;
}

export type WebhookOutcome = { status: number; note: string };

/** True when this shop's delivery (X-Shopify-Webhook-Id) was processed before: ids are unique per shop only. */
async function seenBefore(db: Db, input: WebhookInput): Promise<boolean> {
  if (!input.webhookId) return false;
  return (await db.webhookDelivery.count({ where: { shopDomain: input.shop, id: input.webhookId } })) > 0;
}

/**
 * Recorded after the work is done, so a delivery that failed half-way is processed again when
 * Shopify retries it; two concurrent copies both run, which the ordering rules make harmless.
 */
async function recordDelivery(db: Db, input: WebhookInput): Promise<void> {
  if (!input.webhookId) return;
  await db.webhookDelivery.create({ data: { id: input.webhookId, shopDomain: input.shop, topic: input.topic } }).catch((err) => {
    if ((err as { code?: string }).code !== "P2002") throw err;
  });
}

export async function handleProductUpsert(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  const shopRow = await deps.db.shop.findUnique({ where: { domain: input.shop } });
  if (!shopRow || shopRow.uninstalledAt) return { status: 200, note: "shop not installed; ignored" };
  if (await seenBefore(deps.db, input)) return { status: 200, note: "duplicate delivery" };
  let record;
  try {
    record = parseProductNode(restProductToNode(input.payload, shopRow.currency));
  } catch (err) {
    if (err instanceof ProductNodeError) return { status: 400, note: err.message };
    throw err;
  }
  const action = await writeProduct(deps, input.shop, record);
  await recordDelivery(deps.db, input);
  return { status: 200, note: action };
}

/** Upserts a product record from Shopify, queues its embedding if its content changed, tells the live index. */
async function writeProduct(deps: WebhookDeps, shop: string, record: ProductRecord): Promise<string> {
  const outcome = await upsertProduct(deps.db, shop, record, "shopify");
  if (outcome.needsEmbedding) {
    await enqueueEmbedJobs(deps.queue, [{ shop, productId: record.id, textHash: record.textHash, imageHash: record.imageHash }]);
  }
  if (outcome.action === "updated" || outcome.action === "created") await catalogChanged(deps, shop);
  return outcome.action;
}

/**
 * inventory_levels/update: a variant's stock changed at one location. Whether it can still be sold
 * depends on every location and the variant's policy, so the product is read back from the Admin
 * API (its variants' availableForSale) and written like any other update: a variant that sold out
 * leaves the cards within seconds. Shopify sends products/update too; both are idempotent.
 */
export async function handleInventoryLevelUpdate(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  const item = inventoryItemGid((input.payload as { inventory_item_id?: unknown } | null)?.inventory_item_id);
  if (!item) return { status: 400, note: "payload has no valid inventory_item_id" };
  const shopRow = await deps.db.shop.findUnique({ where: { domain: input.shop } });
  if (!shopRow || shopRow.uninstalledAt) return { status: 200, note: "shop not installed; ignored" };
  if (await seenBefore(deps.db, input)) return { status: 200, note: "duplicate delivery" };
  // Admin API failures throw: the delivery is not recorded and Shopify sends it again.
  const node = await productOfInventoryItem(await deps.adminClient(input.shop), item);
  if (!node) {
    await recordDelivery(deps.db, input);
    return { status: 200, note: "inventory item of no product; ignored" };
  }
  let record;
  try {
    record = parseProductNode(node);
  } catch (err) {
    if (err instanceof ProductNodeError) return { status: 200, note: `product not stored: ${err.message}` };
    throw err;
  }
  const action = await writeProduct(deps, input.shop, record);
  await recordDelivery(deps.db, input);
  return { status: 200, note: action };
}

export async function handleProductDelete(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  const id = productNumericId((input.payload as { id?: unknown } | null)?.id);
  if (!id) return { status: 400, note: "payload has no product id" };
  if (await seenBefore(deps.db, input)) return { status: 200, note: "duplicate delivery" };
  const shopRow = await deps.db.shop.findUnique({ where: { domain: input.shop } });
  if (!shopRow) return { status: 200, note: "unknown shop; ignored" };
  const deleted = await deleteProduct(deps.db, input.shop, id);
  await catalogChanged(deps, input.shop);
  await recordDelivery(deps.db, input);
  return { status: 200, note: deleted ? "deleted" : "tombstoned" };
}

export async function handleAppUninstalled(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  await deps.db.session.deleteMany({ where: { shop: input.shop } });
  await deps.db.shop.updateMany({ where: { domain: input.shop }, data: { uninstalledAt: new Date() } });
  // Stops work for the shop: running syncs end; queued embed jobs find no installed shop.
  await deps.db.syncRun.updateMany({
    where: { shopDomain: input.shop, phase: { in: ["queued", "running", "reading", "embedding"] } },
    data: { phase: "failed", message: "the app was uninstalled", finishedAt: new Date() },
  });
  return { status: 200, note: "uninstalled" };
}

/** shop/redact: every trace of the shop goes — rows, vectors, sessions, index files. */
export async function redactShop(deps: WebhookDeps, shop: string): Promise<void> {
  await deleteShopData(deps.db, shop);
  await rm(path.join(deps.dataDir, "indexes", shop), { recursive: true, force: true });
  await deleteShopKeys(deps.publisher, shop);
  await catalogGone(deps, shop);
}

export async function handleCompliance(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  switch (input.topic) {
    case "SHOP_REDACT":
      await redactShop(deps, input.shop);
      return { status: 200, note: "shop data deleted" };
    case "CUSTOMERS_DATA_REQUEST":
    case "CUSTOMERS_REDACT":
      // Lookalike stores no customer data: shopper photos are processed in memory only and
      // analytics are anonymous daily aggregates.
      return { status: 200, note: "no customer data held" };
    default:
      return { status: 400, note: `unexpected compliance topic ${input.topic}` };
  }
}

/** bulk_operations/finish: wake the run's job now instead of at its next poll. */
export async function handleBulkOperationFinish(deps: WebhookDeps, input: WebhookInput): Promise<WebhookOutcome> {
  const id = (input.payload as { admin_graphql_api_id?: unknown } | null)?.admin_graphql_api_id;
  if (typeof id !== "string") return { status: 400, note: "payload has no bulk operation id" };
  const run = await deps.db.syncRun.findFirst({ where: { shopDomain: input.shop, bulkOperationId: id } });
  if (!run) return { status: 200, note: "not one of our runs" };
  const job = await deps.syncQueue.getJob(bulkSyncJobId(input.shop, run.id));
  if (job && (await job.isDelayed())) await job.promote().catch(() => {});
  else if (!job) await enqueueBulkSync(deps.syncQueue, input.shop, run.id);
  return { status: 200, note: "sync woken" };
}

/**
 * The shop's Redis keys: cached results and rate-limit counters (a rare, shop-scoped scan; on a
 * cluster, of every master, and deleted key by key since they lie in different slots).
 */
export async function deleteShopKeys(redis: RedisClient, shop: string): Promise<number> {
  const ns = redisNamespace();
  let deleted = 0;
  for (const pattern of [`${ns}:res:${shop}:*`, `${ns}:rl:*:${shop}*`]) {
    for await (const keys of scanKeys(redis, pattern)) deleted += await unlinkKeys(redis, keys);
  }
  return deleted;
}
