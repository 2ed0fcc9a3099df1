/**
 * Which product rows changed since a live catalog last looked: a full diff of every live row's
 * version on the first load (then every 10 minutes, a safety net), else only rows updated — or
 * tombstoned: deletes always write one — since shortly before the newest version seen, through the
 * (shopDomain, updatedAt) and (shopDomain, deletedAt) indexes. A catalog change then costs a read
 * of what changed, not a scan of the shop (20k rows with their vectors: 150–300 ms of a blocked
 * event loop). Versions are Product.updatedAt; only changed rows are read with their vectors.
 * A catalog opened from a snapshot starts with the incremental diff from the snapshot's newest
 * version when the database's counts confirm it (diffSinceSnapshot).
 */
import type { Db } from "../db.server";
import type { ShopEntry } from "./live-catalog";

/** Rows per query of a full diff (versions only). */
export const FULL_DIFF_PAGE = 2_000;
/** A full diff (every live row's version) at least this often; between them, only recent rows. */
export const FULL_DIFF_MS = 10 * 60_000;
/** Recent = changed within this much of the newest version seen (late commits, clock skew). */
const RECENT_OVERLAP_MS = 60_000;

export interface RowDiff {
  /** Live, embedded rows whose version differs from the one loaded (or that are not loaded). */
  toLoad: string[];
  /** Loaded products that are gone: deleted, drafted, no longer embedded. */
  gone: string[];
  /** The newest row version seen, loaded or not. */
  maxVersion: number;
}

/** Whether the next refresh of `entry` reads every live row's version. */
export function fullDiffDue(entry: Pick<ShopEntry, "lastFullDiffAt">, now = Date.now()): boolean {
  return !entry.lastFullDiffAt || now - entry.lastFullDiffAt > FULL_DIFF_MS;
}

/**
 * The diff of a catalog just opened from a snapshot (rowVersions loaded, no diff yet): the rows
 * changed since the snapshot's newest row version — an incremental diff, with deletes from their
 * tombstones — instead of every live row's version (100k rows: ~1–2 s of a restart's first
 * answer). It is taken only when the database confirms it adds up: its live row count equals the
 * snapshot's products after the diff, and its newest write (row or tombstone) is not older than
 * the snapshot's newest version (a database restored to an earlier state is not). Otherwise, and
 * when a large share of the rows changed since, null: read every row's version then.
 */
export async function diffSinceSnapshot(db: Db, entry: Pick<ShopEntry, "shop" | "cards" | "rowVersions" | "maxRowVersion">): Promise<RowDiff | null> {
  let since = 0;
  for (const v of entry.rowVersions.values()) if (v > since) since = v;
  if (since === 0) return null;
  const recent = await db.product.count({ where: { shopDomain: entry.shop, updatedAt: { gt: new Date(since - RECENT_OVERLAP_MS) } } });
  if (recent > Math.max(FULL_DIFF_PAGE, entry.cards.size / 5)) return null; // as costly as the full diff
  const diff = await diffRows(db, { ...entry, maxRowVersion: since }, false);
  const [live, newestRow, newestTombstone] = await Promise.all([
    db.product.count({ where: { shopDomain: entry.shop, status: "ACTIVE", embeddedAt: { not: null } } }),
    db.product.aggregate({ where: { shopDomain: entry.shop }, _max: { updatedAt: true } }),
    db.productTombstone.aggregate({ where: { shopDomain: entry.shop }, _max: { deletedAt: true } }),
  ]);
  const newest = Math.max(newestRow._max.updatedAt?.getTime() ?? 0, newestTombstone._max.deletedAt?.getTime() ?? 0);
  const gone = new Set(diff.gone);
  let after = entry.cards.size - gone.size;
  for (const id of diff.toLoad) if (!entry.cards.has(id)) after++;
  return after === live && newest >= since ? diff : null;
}

export async function diffRows(db: Db, entry: Pick<ShopEntry, "shop" | "cards" | "rowVersions" | "maxRowVersion">, full: boolean, pageSize = FULL_DIFF_PAGE): Promise<RowDiff> {
  const select = { id: true, updatedAt: true, status: true, embeddedAt: true } as const;
  type VersionRow = { id: string; updatedAt: Date; status: string; embeddedAt: Date | null };
  let rows: VersionRow[];
  if (full) {
    // Every live row's version, a page at a time in id order: one query for a 20k-product shop
    // blocked the loop for ~100 ms decoding its result (and this runs every FULL_DIFF_MS).
    rows = [];
    let cursor: string | undefined;
    for (;;) {
      const page: VersionRow[] = await db.product.findMany({
        where: { shopDomain: entry.shop, status: "ACTIVE", embeddedAt: { not: null }, ...(cursor ? { id: { gt: cursor } } : {}) },
        select,
        orderBy: { id: "asc" },
        take: pageSize,
      });
      for (const r of page) rows.push(r);
      if (page.length < pageSize) break;
      cursor = page[page.length - 1].id;
    }
  } else {
    rows = await db.product.findMany({ where: { shopDomain: entry.shop, updatedAt: { gt: new Date(entry.maxRowVersion - RECENT_OVERLAP_MS) } }, select });
  }
  const toLoad: string[] = [];
  const gone: string[] = [];
  const live = full ? new Set<string>() : undefined;
  if (!full) {
    const tombstones = await db.productTombstone.findMany({
      where: { shopDomain: entry.shop, deletedAt: { gt: new Date(entry.maxRowVersion - RECENT_OVERLAP_MS) } },
      select: { id: true },
    });
    for (const t of tombstones) if (entry.cards.has(t.id)) gone.push(t.id);
  }
  let maxVersion = full ? 0 : entry.maxRowVersion;
  for (const r of rows) {
    const v = r.updatedAt.getTime();
    if (v > maxVersion) maxVersion = v;
    if (r.status !== "ACTIVE" || !r.embeddedAt) {
      if (entry.cards.has(r.id)) gone.push(r.id);
      continue;
    }
    live?.add(r.id);
    if (entry.rowVersions.get(r.id) !== v) toLoad.push(r.id);
  }
  if (live) for (const id of entry.cards.keys()) if (!live.has(id)) gone.push(id);
  return { toLoad, gone, maxVersion };
}
