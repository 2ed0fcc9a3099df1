/**
 * Full catalog sync from Shopify: one job per run walks a small state machine kept on the
 * SyncRun row, so any worker can pick it up after a crash or a lost queue:
 *   queued  → start the products bulk operation             → running
 *   running → poll it (or be woken by bulk_operations/finish) → reading
 *             (ended FAILED by Shopify or EXPIRED → queued again, bounded; else → failed)
 *   reading → stream the JSONL, upsert products, fan out embed jobs in batches,
 *             tombstone products Shopify no longer has        → embedding
 *             (result link expired → queued again, bounded like EXPIRED)
 *   embedding → done when no product of the shop is pending (checked by the reconciler).
 */
import { createInterface } from "node:readline";
import type { Queue } from "bullmq";
import type { Db } from "../db.server";
import { enqueueBulkSync, type EmbedJobData, type SyncJobData } from "../queues/queues.server";
import type { AdminGraphqlClient } from "../shopify/admin-graphql.server";
import { bulkOperationState, startProductsBulkOperation } from "./bulk-operation.server";
import { BulkResultGoneError, openBulkResult } from "./bulk-result.server";
import { assembleBulkProducts } from "./bulk-products";
import { parseProductNode, ProductNodeError } from "./product-node";
import { CatalogWriter } from "./catalog-writer.server";
import { deleteProduct, ensureShop } from "./product-repository.server";
import type { RedisClient } from "../redis.server";

export interface BulkSyncDeps {
  db: Db;
  embedQueue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  publisher: RedisClient;
  adminClient(shop: string): Promise<AdminGraphqlClient>;
  log?: (message: string) => void;
}

export type StepResult = { next: "done" } | { next: "poll"; delayMs: number } | { next: "continue" };

const ACTIVE_PHASES = ["queued", "running", "reading"];

/**
 * Bulk operations one run may start. Shopify ends an operation FAILED with INTERNAL_SERVER_ERROR
 * (its own fault) or EXPIRED (its result is gone): the run starts a new one — what a merchant
 * expects of "the catalog syncs by itself" — after a pause, at most this many operations in all,
 * then fails with the reason. The same when the result's link no longer works by the time it is
 * read (it expires after a while). FAILED for ACCESS_DENIED or TIMEOUT, and CANCELED, fail at
 * once: starting again would not help.
 */
export const MAX_BULK_OPERATIONS = 3;
const RESTART_DELAY_MS = 5_000;

function worthRestarting(op: { status: string; errorCode: string | null }): boolean {
  return op.status === "EXPIRED" || (op.status === "FAILED" && (!op.errorCode || op.errorCode === "INTERNAL_SERVER_ERROR"));
}

/** Starts a full sync unless one is already under way for the shop; returns the run id. */
export async function startFullSync(deps: Pick<BulkSyncDeps, "db" | "syncQueue">, shop: string): Promise<string> {
  await ensureShop(deps.db, shop);
  // One run of a shop at a time, however many ask at once (the install, the admin's button, web
  // processes and workers side by side): the shop's row is locked — an UPDATE — while the active
  // run is looked for and, when there is none, made. Without it, four starts at once made four
  // runs, each a bulk operation and a sync job of its own.
  const runId = await deps.db.$transaction(async (tx) => {
    await tx.shop.update({ where: { domain: shop }, data: { catalogVersion: { increment: 0 } } });
    const active = await tx.syncRun.findFirst({ where: { shopDomain: shop, kind: "bulk", phase: { in: ACTIVE_PHASES } }, orderBy: { startedAt: "desc" } });
    if (active) return active.id;
    return (await tx.syncRun.create({ data: { id: crypto.randomUUID(), shopDomain: shop, kind: "bulk", phase: "queued" } })).id;
  });
  await enqueueBulkSync(deps.syncQueue, shop, runId); // no-op while its job exists
  return runId;
}

async function heartbeat(db: Db, runId: string, data: Record<string, unknown> = {}): Promise<void> {
  await db.syncRun.update({ where: { id: runId }, data: { ...data, heartbeatAt: new Date() } });
}

/** Runs the next step of a bulk sync run. */
export async function runBulkSyncStep(deps: BulkSyncDeps, runId: string): Promise<StepResult> {
  const run = await deps.db.syncRun.findUnique({ where: { id: runId } });
  if (!run || !ACTIVE_PHASES.includes(run.phase)) return { next: "done" };
  const shopRow = await deps.db.shop.findUnique({ where: { domain: run.shopDomain } });
  if (!shopRow || shopRow.uninstalledAt) {
    await heartbeat(deps.db, runId, { phase: "failed", message: "the app was uninstalled", finishedAt: new Date() });
    return { next: "done" };
  }
  const client = await deps.adminClient(run.shopDomain);

  if (run.phase === "queued") {
    const id = await startProductsBulkOperation(client);
    await heartbeat(deps.db, runId, { phase: "running", bulkOperationId: id, bulkOperations: { increment: 1 } });
    deps.log?.(`bulk sync ${run.shopDomain}: started ${id}`);
    return { next: "poll", delayMs: 1_000 };
  }

  if (run.phase === "running") {
    const op = await bulkOperationState(client, run.bulkOperationId!);
    if (op.status === "CREATED" || op.status === "RUNNING" || op.status === "CANCELING") {
      await heartbeat(deps.db, runId, { total: Number(op.objectCount ?? 0) });
      return { next: "poll", delayMs: 2_000 };
    }
    if (op.status !== "COMPLETED") {
      const ended = `Shopify's bulk operation ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`;
      if (worthRestarting(op)) return restartOrFail(deps, run, ended);
      const message =
        op.errorCode === "ACCESS_DENIED"
          ? `${ended}: the app may not read the products; reinstall it to grant access, then start the sync again`
          : op.errorCode === "TIMEOUT"
            ? // Shopify: the query timed out during execution (fewer fields can avoid it) — ours is fixed,
              // so an immediate restart would likely time out again.
              `${ended}: Shopify's query timed out while reading the catalog; start the sync again later, and if it times out again, contact support`
            : `${ended}; start the sync again`;
      await heartbeat(deps.db, runId, { phase: "failed", message, finishedAt: new Date() });
      return { next: "done" };
    }
    if (!op.url) {
      // A shop without products: Shopify returns no file; everything we hold is gone there.
      await deleteMissingProducts(deps, run.shopDomain, new Set(), run.startedAt);
      await new CatalogWriter({ db: deps.db, queue: deps.embedQueue, publisher: deps.publisher }, run.shopDomain, runId, "shopify").finish();
      return { next: "done" };
    }
    await heartbeat(deps.db, runId, { phase: "reading", bulkResultUrl: op.url });
    return { next: "continue" };
  }

  // reading
  try {
    await readBulkResult(deps, run.shopDomain, runId, run.bulkResultUrl!, run.startedAt);
  } catch (err) {
    if (!(err instanceof BulkResultGoneError)) throw err; // transient: the job retries the same link
    return restartOrFail(deps, run, `The result of Shopify's bulk operation could no longer be downloaded (HTTP ${err.status}: its link expires after a while)`);
  }
  return { next: "done" };
}

/**
 * A bulk operation that did not give us a result, for a reason a new one may not have: starts a
 * new one after a pause while the run has operations left, else fails the run with the reason.
 */
async function restartOrFail(deps: BulkSyncDeps, run: { id: string; shopDomain: string; bulkOperations: number }, ended: string): Promise<StepResult> {
  if (run.bulkOperations < MAX_BULK_OPERATIONS) {
    await heartbeat(deps.db, run.id, { phase: "queued", bulkOperationId: null, bulkResultUrl: null, message: `${ended}; starting a new one (${run.bulkOperations + 1} of ${MAX_BULK_OPERATIONS})` });
    deps.log?.(`bulk sync ${run.shopDomain}: ${ended}; starting a new one in ${RESTART_DELAY_MS / 1000} s`);
    return { next: "poll", delayMs: RESTART_DELAY_MS };
  }
  await heartbeat(deps.db, run.id, { phase: "failed", message: `${ended}, ${run.bulkOperations} times in a row; start the sync again later`, finishedAt: new Date() });
  return { next: "done" };
}

async function readBulkResult(deps: BulkSyncDeps, shop: string, runId: string, url: string, startedAt: Date): Promise<void> {
  const lines = createInterface({ input: await openBulkResult(url), crlfDelay: Infinity });
  const seen = new Set<string>();
  const writer = new CatalogWriter({ db: deps.db, queue: deps.embedQueue, publisher: deps.publisher }, shop, runId, "shopify");
  let issues = 0;
  for await (const item of assembleBulkProducts(lines)) {
    if (item.kind === "issue") {
      issues++;
      continue;
    }
    let record;
    try {
      record = parseProductNode(item.product.node);
    } catch (err) {
      if (!(err instanceof ProductNodeError)) throw err;
      issues++;
      continue;
    }
    seen.add(record.id);
    const outcome = await writer.write(record);
    if (outcome.action !== "deleted" && outcome.action !== "stale" && writer.products % 1_000 === 0) await heartbeat(deps.db, runId, { total: writer.products });
  }
  const removed = await deleteMissingProducts(deps, shop, seen, startedAt);
  await heartbeat(deps.db, runId, { bulkResultUrl: null, message: issues ? `${issues} lines of the bulk result could not be read` : null });
  await writer.finish();
  deps.log?.(`bulk sync ${shop}: read ${writer.products} products (${writer.enqueued} to embed, ${removed} removed, ${issues} unreadable lines)`);
}

/** Products in our database that Shopify no longer has (deleted while we missed the webhook). */
async function deleteMissingProducts(deps: BulkSyncDeps, shop: string, seen: Set<string>, startedAt: Date): Promise<number> {
  const rows = await deps.db.product.findMany({ where: { shopDomain: shop, source: "shopify", shopifyUpdatedAt: { lt: startedAt } }, select: { id: true } });
  let removed = 0;
  for (const { id } of rows) {
    if (!seen.has(id)) {
      await deleteProduct(deps.db, shop, id);
      removed++;
    }
  }
  return removed;
}
