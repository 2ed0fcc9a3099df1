/**
 * Coalesces concurrent submissions into batches: a batch is run when `maxBatch`
 * items are queued or `maxWaitMs` after the first queued item, whichever comes
 * first. One batch runs at a time (the runner is typically a CPU-bound session
 * already using every core); items arriving meanwhile form the next batch.
 * A submission larger than `maxBatch` is split across batches transparently.
 * With `maxWaitMs: 0` an idle batcher runs on the next turn of the event loop (setImmediate), so
 * a lone request pays no waiting window while submissions made in the same turn, and everything
 * that arrives during a run, are still coalesced ("opportunistic" batching).
 */
export interface MicroBatcherOptions<I, O> {
  maxBatch: number;
  maxWaitMs: number;
  run: (items: I[]) => Promise<O[]>;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  private closed = false;
  /** Sizes of the batches run so far (for tests / metrics). */
  readonly batchSizes: number[] = [];

  constructor(private readonly opts: MicroBatcherOptions<I, O>) {}

  submit(items: I[]): Promise<O[]> {
    if (this.closed) return Promise.reject(new Error("MicroBatcher is closed"));
    if (items.length === 0) return Promise.resolve([]);
    const promises = items.map(
      (item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject })),
    );
    this.schedule();
    return Promise.all(promises);
  }

  /** Rejects queued items and refuses new ones; a running batch completes. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const q = this.queue.splice(0);
    for (const p of q) p.reject(new Error("MicroBatcher is closed"));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.opts.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else if (!this.timer && !this.immediate) {
      const run = () => {
        this.timer = undefined;
        this.immediate = undefined;
        void this.flush();
      };
      if (this.opts.maxWaitMs <= 0) this.immediate = setImmediate(run);
      else this.timer = setTimeout(run, this.opts.maxWaitMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.batchSizes.push(batch.length);
    try {
      const out = await this.opts.run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`batch runner returned ${out.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.running = false;
      // Items that arrived during the run have already waited: run them now.
      if (this.queue.length > 0) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        void this.flush();
      }
    }
  }
}
