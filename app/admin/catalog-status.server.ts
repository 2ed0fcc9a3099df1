/** What the admin home page shows about a shop's catalog: counts, the latest sync, recent failures. */
import type { Db } from "../db.server";
import { catalogCounts, type CatalogCounts } from "../catalog/product-repository.server";
import { latestSyncRun } from "../catalog/sync-runs.server";

export interface CatalogStatus {
  counts: CatalogCounts;
  /** `message`: why a run failed, or what it is doing about a problem (shown on the home page). */
  sync: { kind: string; phase: string; total: number; done: number; failed: number; message: string | null; startedAt: string; finishedAt: string | null } | null;
  failures: { id: string; title: string; reason: string }[];
  models: { modelId: string; products: number }[];
}

export async function loadCatalogStatus(db: Db, shop: string): Promise<CatalogStatus> {
  const [counts, run, failures, models] = await Promise.all([
    catalogCounts(db, shop),
    latestSyncRun(db, shop),
    db.product.findMany({
      where: { shopDomain: shop, embedState: "failed" },
      select: { id: true, title: true, embedError: true },
      orderBy: { updatedAt: "desc" },
      take: 10,
    }),
    db.product.groupBy({ by: ["modelId"], where: { shopDomain: shop, embedState: "embedded" }, _count: { _all: true } }),
  ]);
  return {
    counts,
    sync: run
      ? { kind: run.kind, phase: run.phase, total: run.total, done: run.done, failed: run.failed, message: run.message, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null }
      : null,
    failures: failures.map((f) => ({ id: f.id, title: f.title, reason: f.embedError ?? "unknown reason" })),
    models: models.map((m) => ({ modelId: m.modelId ?? "none", products: m._count._all })),
  };
}
