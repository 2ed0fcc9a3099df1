/**
 * The memory budget of the loaded shops (LIVE_CATALOGS_MAX_MB) and how many shops open at once
 * (LIVE_CATALOGS_MAX_OPENING): the estimate of a shop's resident bytes and the choice of the least
 * recently used shops to drop when the loaded ones no longer fit.
 */
import type { ShopEntry } from "./live-catalog";

const CARD_BYTES = 400;

export function maxOpeningFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LIVE_CATALOGS_MAX_OPENING ?? 2);
  return Number.isInteger(n) && n > 0 ? n : 2;
}

export function memoryBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.LIVE_CATALOGS_MAX_MB ?? 4096);
  return (Number.isFinite(mb) && mb > 0 ? mb : 4096) * 2 ** 20;
}

/** Estimated resident bytes of a loaded shop (both indexes + cards). */
export function estimatedBytes(entry: Pick<ShopEntry, "index" | "images" | "cards">): number {
  return entry.index.stats().memory.usedBytes + entry.images.stats().memory.usedBytes + entry.cards.size * CARD_BYTES;
}

/**
 * The shops to drop, least recently used first (`entries` in that order), until the estimate fits
 * `budget`: never `keep`, never a shop being refreshed or rebuilt.
 */
export function overBudget(entries: Iterable<ShopEntry>, budget: number, keep: ShopEntry): ShopEntry[] {
  const all = [...entries];
  let total = 0;
  for (const e of all) total += e.bytes;
  const out: ShopEntry[] = [];
  for (const e of all) {
    if (total <= budget) break;
    if (e === keep || e.refreshing || e.rebuilding) continue;
    out.push(e);
    total -= e.bytes;
  }
  return out;
}
