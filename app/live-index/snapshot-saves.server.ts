/**
 * When a shop's snapshot is saved: after changes settle (SAVE_DELAY_MS without one), but at the
 * latest SAVE_MAX_WAIT_MS after the first unsaved change, so a shop under a steady stream of
 * webhooks is saved too. Saves of one shop run one at a time, each after the one before; a save
 * that fails is tried again later, backing off, as long as this process serves the shop.
 */
import { errorSummary } from "../shared/error-text";
import type { LiveCatalogsObserver, ShopEntry } from "./live-catalog";
import { moduleLogger } from "../logging/logger.server";

/** Exported for the tests that watch what it says. */
export const snapshotLog = moduleLogger("live-index");
const log = snapshotLog;

/** A snapshot is saved once changes have settled: this long after the last change... */
export const SAVE_DELAY_MS = 5_000;
/**
 * ...but at the latest this long after the first change not yet in a snapshot, even if changes keep
 * coming (a steady stream of product webhooks would otherwise postpone the save for ever). A save
 * of a 20k-product shop writes ~400 MB (graph, int8 store, photo index) and hashes it; every 60 s
 * under the soak's load it raised p99 by 16–40 ms and gave 10 event-loop intervals over 100 ms in
 * 10 minutes instead of 7 (docs/benchmarks.md, soak of the third session). What a late save costs is bounded anyway:
 * a restart loads the snapshot and then only the rows changed since, in short steps.
 */
export const SAVE_MAX_WAIT_MS = 10 * 60_000;

export interface SnapshotSavesOptions {
  /** Writes the entry's snapshot (snapshot-files.server.ts). */
  write(entry: ShopEntry): Promise<void>;
  /** Whether this process still serves the entry (a failed save of an evicted entry or after close is not retried). */
  serves(entry: ShopEntry): boolean;
  observer?: LiveCatalogsObserver;
  /** Quiet time before a snapshot is saved (default SAVE_DELAY_MS). */
  saveDelayMs?: number;
  /** Longest wait from the first unsaved change to its save (default SAVE_MAX_WAIT_MS). */
  saveMaxWaitMs?: number;
}

export class SnapshotSaves {
  /**
   * Per shop (loaded or evicted), the last save queued or running: saves of one shop run one at a
   * time, each after the one before, so waiting for these waits for every save (close).
   */
  private readonly saving = new Map<string, Promise<void>>();

  constructor(private readonly opts: SnapshotSavesOptions) {}

  private get delayMs(): number {
    return this.opts.saveDelayMs ?? SAVE_DELAY_MS;
  }

  private get maxWaitMs(): number {
    return this.opts.saveMaxWaitMs ?? SAVE_MAX_WAIT_MS;
  }

  /**
   * Saves the entry once changes have settled (saveDelayMs after the last one), but no later than
   * saveMaxWaitMs after the first change not yet saved.
   */
  schedule(entry: ShopEntry): void {
    const now = Date.now();
    entry.unsavedSince ??= now;
    let delay = Math.min(this.delayMs, Math.max(0, entry.unsavedSince + this.maxWaitMs - now));
    if (entry.saveRetryAt !== undefined) delay = Math.max(delay, entry.saveRetryAt - now);
    clearTimeout(entry.saveTimer);
    entry.saveTimer = setTimeout(() => {
      entry.saveTimer = undefined;
      void this.save(entry).catch(() => {});
    }, delay);
    entry.saveTimer.unref();
  }

  /** Saves the shop's snapshot; saves of one shop run one after the other. */
  save(e: ShopEntry): Promise<void> {
    const run = () => this.saveNow(e);
    // Keyed by shop, not entry: an entry evicted with a save pending and its reloaded successor
    // write the same files.
    const p = (this.saving.get(e.shop) ?? Promise.resolve()).then(run, run);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.saving.set(e.shop, settled);
    void settled.then(() => {
      if (this.saving.get(e.shop) === settled) this.saving.delete(e.shop);
    });
    return p;
  }

  /** Cancels the entries' pending saves; resolves once the saves already running are done. */
  async close(entries: Iterable<ShopEntry>): Promise<void> {
    for (const e of entries) clearTimeout(e.saveTimer);
    await Promise.allSettled([...this.saving.values()]);
  }

  private async saveNow(e: ShopEntry): Promise<void> {
    // What follows captures every change so far: no other save is due for them.
    const pendingSince = e.unsavedSince ?? Date.now();
    clearTimeout(e.saveTimer);
    e.saveTimer = undefined;
    e.unsavedSince = undefined;
    try {
      await this.opts.write(e);
      this.opts.observer?.snapshotSaved(true);
      e.saveFailures = 0;
      e.saveRetryAt = undefined;
    } catch (err) {
      // The changes are still only in memory (and in the database): try again, later each time, as
      // long as this process serves the shop. An evicted entry is not retried: its next load
      // rebuilds from the database what the snapshot lacks.
      e.saveFailures++;
      this.opts.observer?.snapshotSaved(false);
      const backoff = Math.min(this.maxWaitMs, this.delayMs * 2 ** (e.saveFailures - 1));
      const retrying = this.opts.serves(e);
      log.warn(
        { shop: e.shop },
        `could not save the index snapshot of ${e.shop} (failure ${e.saveFailures} in a row)${retrying ? `; next try in ${Math.round(backoff / 1000)} s` : ""}: ${errorSummary(err)}`,
      );
      if (retrying) {
        e.saveRetryAt = Date.now() + backoff;
        e.unsavedSince = Math.min(e.unsavedSince ?? pendingSince, pendingSince);
        this.schedule(e);
      }
      throw err;
    }
  }
}
