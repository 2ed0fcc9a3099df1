/**
 * Storefront event counts, summed in memory per (shop, day) and (shop, day, product) and written
 * every EVENTS_FLUSH_MS as a few multi-row increments (daily-stat-writes.server.ts), off the request
 * path: a beacon costs a map update, not a transaction.
 *
 * Bounded: at most `maxPendingKeys` distinct rows wait at once; counts for a new row beyond that are
 * dropped (counted in `stats().dropped`, one log line per minute at most). A flush that fails (the
 * database is away) puts its counts back, within the same bound, for the next try. `close()` stops
 * the timer and flushes what is left (web shutdown).
 */
import type { Db } from "../db.server";
import { errorSummary } from "../shared/error-text";
import { utcDay } from "./day";
import { writeDailyStats, type DayCounts, type ProductDayCounts } from "./daily-stat-writes.server";
import { moduleLogger } from "../logging/logger.server";

const moduleLog = moduleLogger("analytics");

export interface CountedEvent {
  type: "impression" | "click" | "photo_search";
  /** Products counted for this event (impressions: shown; click: the one clicked). Already checked against the catalog. */
  productIds: string[];
}

export interface EventBatcherOptions {
  flushMs: number;
  maxPendingKeys: number;
}

export function eventBatcherOptionsFromEnv(env: Record<string, string | undefined> = process.env): EventBatcherOptions {
  const n = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return env[name] === undefined || !Number.isFinite(v) || v <= 0 ? fallback : v;
  };
  return { flushMs: n("EVENTS_FLUSH_MS", 2_000), maxPendingKeys: n("EVENTS_MAX_PENDING_KEYS", 20_000) };
}

export interface EventBatcherStats {
  /** Rows waiting for the next flush. */
  pendingKeys: number;
  /** Increments thrown away because the pending rows were at their bound. */
  dropped: number;
  /** Flushes that failed (their counts kept for the next try, within the bound). */
  failedFlushes: number;
  /** Rows written by successful flushes. */
  writtenKeys: number;
}

const SEP = "\u0000";
const LOG_EVERY_MS = 60_000;

export class EventBatcher {
  private days = new Map<string, DayCounts>();
  private products = new Map<string, ProductDayCounts>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;
  private dropped = 0;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private lastFailureLog = 0;
  private failedFlushes = 0;
  private writtenKeys = 0;

  constructor(
    private readonly db: () => Db,
    private readonly opts: EventBatcherOptions = eventBatcherOptionsFromEnv(),
    private readonly log: (line: string) => void = (line) => moduleLog.warn(line),
  ) {}

  private get pendingKeys(): number {
    return this.days.size + this.products.size;
  }

  stats(): EventBatcherStats {
    return { pendingKeys: this.pendingKeys, dropped: this.dropped, failedFlushes: this.failedFlushes, writtenKeys: this.writtenKeys };
  }

  /** Counts one event (already validated and filtered to the shop's products). Never throws, never waits. */
  add(shop: string, event: CountedEvent, at: Date = new Date()): void {
    const day = utcDay(at);
    const field = event.type === "impression" ? "impressions" : event.type === "click" ? "clicks" : "photoSearches";
    this.addDay({ shopDomain: shop, day, impressions: 0, clicks: 0, photoSearches: 0, [field]: 1 });
    if (field !== "photoSearches") {
      for (const productId of event.productIds) {
        this.addProduct({ shopDomain: shop, day, productId, impressions: 0, clicks: 0, [field]: 1 });
      }
    }
    this.schedule();
  }

  private addDay(c: DayCounts): void {
    const key = c.shopDomain + SEP + c.day;
    const have = this.days.get(key);
    if (have) {
      have.impressions += c.impressions;
      have.clicks += c.clicks;
      have.photoSearches += c.photoSearches;
    } else if (this.pendingKeys < this.opts.maxPendingKeys) this.days.set(key, { ...c });
    else this.drop(c.impressions + c.clicks + c.photoSearches);
  }

  private addProduct(c: ProductDayCounts): void {
    const key = c.shopDomain + SEP + c.day + SEP + c.productId;
    const have = this.products.get(key);
    if (have) {
      have.impressions += c.impressions;
      have.clicks += c.clicks;
    } else if (this.pendingKeys < this.opts.maxPendingKeys) this.products.set(key, { ...c });
    else this.drop(c.impressions + c.clicks);
  }

  private drop(count: number): void {
    this.dropped += count;
    this.droppedSinceLog += count;
    if (Date.now() - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = Date.now();
    this.log(`storefront events: ${this.opts.maxPendingKeys} rows pending, ${this.droppedSinceLog} counts dropped since the last report (${this.dropped} in all)`);
    this.droppedSinceLog = 0;
  }

  private schedule(): void {
    if (this.timer || this.closed || this.pendingKeys === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.flushMs);
    this.timer.unref();
  }

  /**
   * Writes every pending count now (one flush at a time; a call during a flush waits for it and
   * then writes what arrived meanwhile). Never throws: a failure keeps the counts and is logged.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pendingKeys === 0) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const days = this.days;
    const products = this.products;
    this.days = new Map();
    this.products = new Map();
    try {
      await writeDailyStats(this.db(), [...days.values()], [...products.values()]);
      this.writtenKeys += days.size + products.size;
    } catch (err) {
      this.failedFlushes++;
      // Put the counts back: merged into rows that arrived meanwhile, new rows within the bound.
      for (const c of days.values()) this.addDay(c);
      for (const c of products.values()) this.addProduct(c);
      if (Date.now() - this.lastFailureLog >= LOG_EVERY_MS / 6) {
        this.lastFailureLog = Date.now();
        this.log(`storefront events: flush failed, ${this.pendingKeys} rows kept for the next try: ${errorSummary(err)}`);
      }
    }
  }

  /** Stops the timer and writes what is pending (one try). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
