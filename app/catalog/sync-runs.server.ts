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

export async function recordSyncItems(db: Db, runId: string, done: number, failed: number): Promise<void> {
  await db.syncRun.updateMany({ where: { id: runId }, data: { done: { increment: done }, failed: { increment: failed }, heartbeatAt: new Date() } });
  await finishIfComplete(db, runId);
}

async function finishIfComplete(db: Db, runId: string): Promise<void> {
  const run = await db.syncRun.findUnique({ where: { id: runId } });
  if (run && run.phase === "embedding" && run.done + run.failed >= run.total) {
    await db.syncRun.updateMany({ where: { id: runId, phase: "embedding" }, data: { phase: "done", finishedAt: new Date() } });
  }
}

/**
 * The shop's runs still embedding are done once no product of the shop is pending (the run's
 * own counters can miss jobs that were deduped into another run or lost with Redis).
 */
export async function finishEmbeddedRuns(db: Db, shop: string): Promise<number> {
  const running = await db.syncRun.count({ where: { shopDomain: shop, phase: "embedding" } });
  if (running === 0) return 0;
  if ((await db.product.count({ where: { shopDomain: shop, embedState: "pending" } })) > 0) return 0;
  const r = await db.syncRun.updateMany({ where: { shopDomain: shop, phase: "embedding" }, data: { phase: "done", finishedAt: new Date() } });
  return r.count;
}

export async function latestSyncRun(db: Db, shop: string) {
  return db.syncRun.findFirst({ where: { shopDomain: shop }, orderBy: { startedAt: "desc" } });
}
