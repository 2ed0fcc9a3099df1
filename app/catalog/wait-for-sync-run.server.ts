/** Waits for a sync run to finish (done or failed), reporting progress on the way. */
import type { Db } from "../db.server";
import { catalogCounts, type CatalogCounts } from "./product-repository.server";
import { finishEmbeddedRuns } from "./sync-runs.server";

export interface SyncProgress {
  phase: string;
  total: number;
  counts: CatalogCounts;
}

export async function waitForSyncRun(db: Db, runId: string, opts: { timeoutMs: number; intervalMs?: number; onProgress?: (p: SyncProgress) => void }) {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const before = await db.syncRun.findUnique({ where: { id: runId }, select: { shopDomain: true } });
    if (!before) throw new Error(`sync run ${runId} disappeared (was the shop redacted?)`);
    await finishEmbeddedRuns(db, before.shopDomain);
    const run = (await db.syncRun.findUnique({ where: { id: runId } }))!;
    const counts = await catalogCounts(db, run.shopDomain);
    opts.onProgress?.({ phase: run.phase, total: run.total, counts });
    if (run.phase === "failed" || run.phase === "done") return { run, counts };
    if (Date.now() > deadline) throw new Error(`sync still ${run.phase} after ${Math.round(opts.timeoutMs / 1000)} s — is a worker running (npm run worker)?`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
