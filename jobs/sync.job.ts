/**
 * Jobs of the sync queue: a bulk sync run's next step (re-delaying itself while Shopify works),
 * and the reconciler.
 */
import { DelayedError, type Job } from "bullmq";
import { runBulkSyncStep, type BulkSyncDeps } from "../app/catalog/bulk-sync.server";
import { reconcile, type ReconcileReport } from "../app/catalog/reconciler.server";
import { isDatabaseUnavailable } from "../app/db/database-unavailable";
import type { VectorModels } from "../app/embedding/vector-versions";
import type { SyncJobData } from "../app/queues/queues.server";

export interface SyncJobDeps extends BulkSyncDeps {
  staleAfterMs?: number;
  /** The models this worker embeds with (the reconciler re-embeds rows made with others). */
  models?: VectorModels;
}

export function createSyncProcessor(deps: SyncJobDeps) {
  return async function processSyncJob(job: Job<SyncJobData>, token?: string): Promise<string | ReconcileReport> {
    const data = job.data;
    if (data.kind === "reconcile") {
      const report = await reconcile({ db: deps.db, embedQueue: deps.embedQueue, syncQueue: deps.syncQueue, staleAfterMs: deps.staleAfterMs, models: deps.models }, data.shop);
      if (report.requeuedProducts || report.resumedRuns) deps.log?.(`reconciler: ${JSON.stringify(report)}`);
      return report;
    }
    for (;;) {
      const step = await runBulkSyncStep(deps, data.runId);
      if (step.next === "done") return "done";
      if (step.next === "poll") {
        // Wait without holding a worker slot; bulk_operations/finish may promote it sooner.
        await job.moveToDelayed(Date.now() + step.delayMs, token);
        throw new DelayedError();
      }
    }
  };
}

/**
 * A bulk sync job that exhausted its retries: the run fails with the reason, visibly — unless the
 * database was unreachable: then the run keeps its phase and, once its heartbeat is stale, the
 * reconciler resumes it (it replaces the failed job).
 */
export async function recordSyncJobFailure(deps: SyncJobDeps, job: Job<SyncJobData>, error: Error): Promise<void> {
  if (job.data.kind !== "bulk-sync" || isDatabaseUnavailable(error)) return;
  await deps.db.syncRun.updateMany({
    where: { id: job.data.runId, phase: { in: ["queued", "running", "reading"] } },
    data: { phase: "failed", message: `sync failed after ${job.attemptsMade} attempts: ${error.message}`.slice(0, 1_000), finishedAt: new Date() },
  });
}
