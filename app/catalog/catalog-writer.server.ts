/**
 * The write step every catalog read shares (operator import, bulk sync from Shopify): upsert each
 * product under the repository's ordering rules, fan out embed jobs in batches, and at the end
 * record the run's total and make the change visible to web processes.
 */
import type { Queue } from "bullmq";
import type { Db } from "../db.server";
import { enqueueEmbedJobs, replaceFinishedJobs, type EmbedJobData, type EmbedRequest } from "../queues/queues.server";
import { catalogChanged } from "./catalog-changed.server";
import type { ProductRecord } from "./product-node";
import { upsertProduct, type ProductSource, type UpsertOutcome } from "./product-repository.server";
import { setSyncRunTotal } from "./sync-runs.server";
import type { RedisClient } from "../redis.server";

const BATCH = 200;

export class CatalogWriter {
  /** Products written (created, updated or unchanged; not stale or deleted ones). */
  products = 0;
  enqueued = 0;
  private alreadyDone = 0;
  private batch: EmbedRequest[] = [];

  constructor(
    private readonly deps: { db: Db; queue: Queue<EmbedJobData>; publisher: RedisClient },
    private readonly shop: string,
    private readonly runId: string,
    private readonly source: ProductSource,
  ) {}

  async write(record: ProductRecord): Promise<UpsertOutcome> {
    const outcome = await upsertProduct(this.deps.db, this.shop, record, this.source);
    if (outcome.action === "deleted" || outcome.action === "stale") return outcome;
    this.products++;
    if (!outcome.needsEmbedding) this.alreadyDone++;
    else {
      this.batch.push({ shop: this.shop, productId: record.id, runId: this.runId, textHash: record.textHash, imageHash: record.imageHash });
      if (this.batch.length >= BATCH) await this.flush();
    }
    return outcome;
  }

  private async flush(): Promise<void> {
    // These products need embedding now: a finished job under the same id must not swallow theirs.
    await replaceFinishedJobs(this.deps.queue, this.batch);
    await enqueueEmbedJobs(this.deps.queue, this.batch);
    this.enqueued += this.batch.length;
    this.batch = [];
  }

  /** Enqueues the last batch, records the run's total, and tells web processes. */
  async finish(): Promise<void> {
    await this.flush();
    await setSyncRunTotal(this.deps.db, this.runId, this.products, this.alreadyDone);
    await catalogChanged(this.deps, this.shop);
  }
}
