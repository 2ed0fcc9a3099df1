/**
 * The reconciler: compares what the database says should exist with the queues, and repairs the
 * difference. It alone brings every product back if Redis loses every queued job:
 * - products embedded with an older text- or image-vector recipe (vector-versions.ts), another text
 *   model or another image model than this worker's become pending;
 * - products still pending embedding get their (content-addressed, so deduped) embed job again;
 *   a finished job under the same id (kept for an hour, failed ones for a week) is removed first,
 *   since the database says its work is not done — otherwise it would swallow the new job;
 * - bulk sync runs that went quiet (no heartbeat) get their job again and resume from their phase;
 * - runs whose embedding is finished are marked done.
 * The web processes' indexes repair themselves against the database (live-catalogs).
 */
import type { Queue } from "bullmq";
import type { Db } from "../db.server";
import type { VectorModels } from "../embedding/vector-versions";
import { markOutdated } from "./product-repository.server";
import { finishEmbeddedRuns } from "./sync-runs.server";
import { bulkSyncJobId, enqueueBulkSync, enqueueEmbedJobs, replaceFinishedJobs, type EmbedJobData, type SyncJobData } from "../queues/queues.server";

export interface ReconcileDeps {
  db: Db;
  embedQueue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  /** A run without a heartbeat for this long is considered orphaned. */
  staleAfterMs?: number;
  /** The models this worker embeds with (default: the hashed text vector; image model not checked). */
  models?: VectorModels;
}

export interface ReconcileReport {
  shops: number;
  /** Embedded with an older text-vector recipe: put back in line. */
  outdatedProducts: number;
  requeuedProducts: number;
  /** Pending products whose job id was taken by a finished job (completed or failed): job replaced. */
  replacedJobs: number;
  resumedRuns: number;
  finishedRuns: number;
}

export async function reconcile(deps: ReconcileDeps, onlyShop?: string): Promise<ReconcileReport> {
  const { db } = deps;
  const report: ReconcileReport = { shops: 0, outdatedProducts: 0, requeuedProducts: 0, replacedJobs: 0, resumedRuns: 0, finishedRuns: 0 };
  const shops = await db.shop.findMany({ where: { uninstalledAt: null, ...(onlyShop ? { domain: onlyShop } : {}) }, select: { domain: true } });
  const staleBefore = new Date(Date.now() - (deps.staleAfterMs ?? 120_000));
  for (const { domain: shop } of shops) {
    report.shops++;
    report.outdatedProducts += await markOutdated(db, shop, deps.models);
    let cursor: string | undefined;
    for (;;) {
      const pending = await db.product.findMany({
        where: { shopDomain: shop, embedState: "pending" },
        select: { id: true, textHash: true, imageHash: true },
        orderBy: { id: "asc" },
        take: 500,
        ...(cursor ? { cursor: { shopDomain_id: { shopDomain: shop, id: cursor } }, skip: 1 } : {}),
      });
      if (pending.length === 0) break;
      const requests = pending.map((p) => ({ shop, productId: p.id, textHash: p.textHash, imageHash: p.imageHash }));
      report.replacedJobs += await replaceFinishedJobs(deps.embedQueue, requests, deps.models);
      await enqueueEmbedJobs(deps.embedQueue, requests, deps.models);
      report.requeuedProducts += pending.length;
      cursor = pending[pending.length - 1].id;
    }

    const stale = await db.syncRun.findMany({ where: { shopDomain: shop, kind: "bulk", phase: { in: ["queued", "running", "reading"] }, heartbeatAt: { lt: staleBefore } } });
    for (const run of stale) {
      const job = await deps.syncQueue.getJob(bulkSyncJobId(shop, run.id));
      if (job && (await job.isActive())) continue;
      if (job) await job.remove().catch(() => {});
      await enqueueBulkSync(deps.syncQueue, shop, run.id);
      report.resumedRuns++;
    }

    report.finishedRuns += await finishEmbeddedRuns(db, shop);
  }
  return report;
}

