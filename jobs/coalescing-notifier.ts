/**
 * Coalesces per-product bookkeeping in the worker: many embed jobs finishing in the same moment
 * become one catalog-version bump + publish per shop, and one progress update per sync run,
 * at most every `intervalMs`. Keeps the database out of the per-product hot loop.
 */
export class CoalescingNotifier {
  private readonly shops = new Set<string>();
  private readonly runs = new Map<string, { done: number; failed: number }>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly handlers: {
      catalogChanged(shop: string): Promise<void>;
      runProgress(runId: string, done: number, failed: number): Promise<void>;
      onError?(err: Error): void;
    },
    private readonly intervalMs = 250,
  ) {}

  catalogChanged(shop: string): void {
    this.shops.add(shop);
    this.schedule();
  }

  runItem(runId: string, ok: boolean): void {
    const r = this.runs.get(runId) ?? { done: 0, failed: 0 };
    if (ok) r.done++;
    else r.failed++;
    this.runs.set(runId, r);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flushNow());
    }, this.intervalMs);
  }

  /** Applies everything pending now (also used on shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.flushNow());
    await this.flushing;
  }

  private async flushNow(): Promise<void> {
    const shops = [...this.shops];
    const runs = [...this.runs];
    this.shops.clear();
    this.runs.clear();
    for (const shop of shops) await this.handlers.catalogChanged(shop).catch((e) => this.handlers.onError?.(e));
    for (const [runId, r] of runs) await this.handlers.runProgress(runId, r.done, r.failed).catch((e) => this.handlers.onError?.(e));
  }
}
