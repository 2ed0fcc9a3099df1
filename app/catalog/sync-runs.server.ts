/** Progress of a catalog sync (import or bulk sync), stored so any process can show it. */
import { randomUUID } from "node:crypto";
import type { Db } from "../db.server";

export type SyncKind = "import" | "bulk" | "reconcile";
export type SyncPhase = "queued" | "reading" | "embedding" | "done" | "failed";

export async function startSyncRun(db: Db, shop: string, kind: SyncKind): Promise<string> {
  const id = randomUUID();
  await db.syncRun.create({ data: { id, shopDomain: shop, kind, phase: "reading" } });
  return id;
}

/** After reading: `total` items, of which `alreadyDone` need no work. */
export async function setSyncRunTotal(db: Db, runId: string, total: number, alreadyDone: number): Promise<void> {
  await db.syncRun.update({ where: { id: runId }, data: { total, done: { increment: alreadyDone }, phase: "embedding" } });
  await finishIfComplete(db, runId);
}

/** Counts finished items into a run still in progress; a finished run's counters stay as it ended. */
export async function recordSyncItems(db: Db, runId: string, done: number, failed: number): Promise<void> {
  await db.syncRun.updateMany({ where: { id: runId, phase: { notIn: ["done", "failed"] } }, data: { done: { increment: done }, failed: { increment: failed }, heartbeatAt: new Date() } });
  await finishIfComplete(db, runId);
}

/**
 * The counters only say when to look: they can over-count (a read that restarts after a crash
 * counts its already-embedded products again), so the run ends only when no product is pending.
 */
async function finishIfComplete(db: Db, runId: string): Promise<void> {
  const run = await db.syncRun.findUnique({ where: { id: runId } });
  if (run && run.phase === "embedding" && run.done + run.failed >= run.total) await finishEmbeddedRuns(db, run.shopDomain);
}

/**
 * The shop's runs still embedding are done once no product of the shop is pending (the run's
 * own counters can miss jobs that were deduped into another run, lost with Redis, or not yet
 * counted by a job that is finishing, and can count a product twice). A run finished this way
 * accounts for every item: what is not counted failed was done.
 */
export async function finishEmbeddedRuns(db: Db, shop: string): Promise<number> {
  const running = await db.syncRun.findMany({ where: { shopDomain: shop, phase: "embedding" }, select: { id: true, total: true, failed: true } });
  if (running.length === 0) return 0;
  if ((await db.product.count({ where: { shopDomain: shop, embedState: "pending" } })) > 0) return 0;
  let finished = 0;
  for (const run of running) {
    const failed = Math.min(run.failed, run.total);
    const r = await db.syncRun.updateMany({ where: { id: run.id, phase: "embedding" }, data: { phase: "done", done: run.total - failed, failed, finishedAt: new Date() } });
    finished += r.count;
  }
  return finished;
}

export async function latestSyncRun(db: Db, shop: string) {
  return db.syncRun.findFirst({ where: { shopDomain: shop }, orderBy: { startedAt: "desc" } });
}
