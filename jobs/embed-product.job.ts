/**
 * The per-product embedding job: runs the embedding service, then makes the change visible
 * (catalog version bump + pub/sub, coalesced per shop) and counts it towards its sync run. A job
 * that exhausts its retries records a human-readable reason on the product.
 */
import type { Job } from "bullmq";
import { catalogChanged } from "../app/catalog/catalog-changed.server";
import { embedProduct, type EmbedProductDeps, type EmbedProductResult } from "../app/catalog/product-embedding.server";
import { markEmbedFailed } from "../app/catalog/product-repository.server";
import { recordSyncItems } from "../app/catalog/sync-runs.server";
import { isDatabaseUnavailable } from "../app/db/database-unavailable";
import { CoalescingNotifier } from "./coalescing-notifier";
import type { EmbedJobData } from "../app/queues/queues.server";
import type { RedisClient } from "../app/redis.server";

export interface EmbedJobDeps extends EmbedProductDeps {
  publisher: RedisClient;
  notifier: CoalescingNotifier;
}

export function createNotifier(deps: Pick<EmbedJobDeps, "db" | "publisher">, onError?: (err: Error) => void): CoalescingNotifier {
  return new CoalescingNotifier({
    catalogChanged: async (shop) => void (await catalogChanged(deps, shop)),
    runProgress: (runId, done, failed) => recordSyncItems(deps.db, runId, done, failed),
    onError,
  });
}

export function createEmbedProcessor(deps: EmbedJobDeps) {
  return async function processEmbedJob(job: Job<EmbedJobData>): Promise<EmbedProductResult> {
    const { shop, productId, runId } = job.data;
    // attemptsMade counts the attempts that failed before this one.
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await embedProduct(deps, shop, productId, { finalAttempt });
    if (result.status !== "skipped" || result.reason !== "product no longer exists") deps.notifier.catalogChanged(shop);
    if (runId) deps.notifier.runItem(runId, result.status !== "failed");
    return result;
  };
}

/**
 * Called when a job has failed for the last time (retries exhausted). When the database was
 * unreachable, the product is not at fault: it stays pending, and the job is removed so that the
 * reconciler's re-enqueue (same content-addressed job id, which BullMQ would otherwise dedupe
 * against this failed job for days) creates a fresh one once the database is back.
 */
export async function recordFinalFailure(deps: EmbedJobDeps, job: Job<EmbedJobData>, error: Error): Promise<"failed" | "left pending"> {
  if (isDatabaseUnavailable(error)) {
    await job.remove();
    return "left pending";
  }
  const { shop, productId, runId } = job.data;
  const reason = `embedding failed after ${job.attemptsMade} attempts: ${error.message}`.slice(0, 1_000);
  await markEmbedFailed(deps.db, shop, productId, reason);
  if (runId) deps.notifier.runItem(runId, false);
  return "failed";
}
