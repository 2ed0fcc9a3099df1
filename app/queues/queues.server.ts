/**
 * BullMQ queue names, job payloads and job ids. Producers (web, CLI) and the worker import this
 * module, so a payload change is one edit. Job ids are explicit so duplicates dedupe:
 * an embed job is keyed by the product's content hashes and the vector recipe (versions, and the
 * models when they are not the defaults) — the same content is embedded once per recipe.
 */
import { Queue, type JobsOptions } from "bullmq";
import { DEFAULT_IMAGE_MODEL_ID } from "../embedding/models/model-registry";
import { IMAGE_VECTOR_VERSION, textRecipe, type VectorModels } from "../embedding/vector-versions";
import { databaseTag } from "../db/database-identity";
import { databaseUrl } from "../db/database-url";
import { clusterModeFromEnv } from "../redis-address";
import { redisNamespace, type RedisClient } from "../redis.server";

export const EMBED_QUEUE = "lookalike-embed";

export interface EmbedJobData {
  shop: string;
  productId: string;
  /** The SyncRun this job counts towards, if any (progress for the admin and the CLI). */
  runId?: string;
}

/** A positive integer from the environment, else the default (tests shorten the retry budget). */
function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * 4 attempts, 2 s exponential backoff: a job gives up about 14 s after its first failure. A job
 * that gave up only because the database was away leaves its product pending, and the reconciler
 * queues it again (jobs/embed-product.job.ts › recordFinalFailure).
 */
export const embedJobOptions: JobsOptions = {
  attempts: envInt("EMBED_JOB_ATTEMPTS", 4),
  backoff: { type: "exponential", delay: envInt("EMBED_JOB_BACKOFF_MS", 2_000) },
  removeOnComplete: { age: 3_600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

/**
 * BullMQ ids may not contain ":"; shop domains, hashes and model ids never contain "|". The id
 * always names the image model (the default too, and "color-fallback"): a completed job is kept
 * for an hour, and a job of the same content for another model must not be swallowed by it — a
 * catalog embedded on the colour fallback and then given the real model was left on the fallback
 * when the default model was left out of the id.
 */
export function embedJobId(shop: string, productId: string, textHash: string, imageHash: string, models?: VectorModels): string {
  const image = models?.imageModelId ?? DEFAULT_IMAGE_MODEL_ID;
  return ["embed", shop, productId, textHash.slice(0, 12), imageHash.slice(0, 12), textRecipe(models?.textModelId), IMAGE_VECTOR_VERSION, image].join("|");
}

/**
 * Prefix of this deployment's queues: REDIS_NAMESPACE plus the database's tag
 * (app/db/database-identity.ts), so two databases sharing one Redis never share a queue, a job id
 * or a worker. The tag is in the prefix rather than in the job ids because a shared queue would
 * still hand one database's jobs to the other's workers.
 *
 * On a Redis Cluster (REDIS_CLUSTER_NODES) the prefix is a hash tag, `{<namespace>:db-<tag>}`:
 * BullMQ's Lua scripts touch several keys of a queue at once, and a cluster runs a multi-key
 * command only when every key hashes to one slot (docs/decisions/0014-redis-cluster.md). On one
 * Redis the prefix stays as it was, so an existing deployment keeps its queued jobs.
 */
export function queuePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = `${redisNamespace(env)}:db-${databaseTag(databaseUrl(env))}`;
  return clusterModeFromEnv(env) ? `{${prefix}}` : prefix;
}

export function createEmbedQueue(connection: RedisClient, prefix: string = queuePrefix()): Queue<EmbedJobData> {
  return new Queue<EmbedJobData>(EMBED_QUEUE, { connection, prefix, defaultJobOptions: embedJobOptions });
}

export interface EmbedRequest extends EmbedJobData {
  textHash: string;
  imageHash: string;
}

/**
 * Removes the completed or failed jobs that hold the ids these requests' jobs would take. Call it
 * for products the database says still need embedding (new, changed, pending): a finished job
 * under the same id — kept for an hour, failed ones for a week — did not leave them embedded, and
 * would swallow the new job (a database recreated at the same path, a worker that ran on the
 * colour fallback under the default model's id). A waiting, delayed or active job is left alone:
 * it will do the work. Returns how many were removed.
 */
export async function replaceFinishedJobs(queue: Queue<EmbedJobData>, requests: EmbedRequest[], models?: VectorModels): Promise<number> {
  let removed = 0;
  for (let i = 0; i < requests.length; i += 500) {
    const ids = requests.slice(i, i + 500).map((r) => embedJobId(r.shop, r.productId, r.textHash, r.imageHash, models));
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    for (let k = 0; k < ids.length; k++) {
      if (states[k] === "completed" || states[k] === "failed") removed += await queue.remove(ids[k]);
    }
  }
  return removed;
}

export async function enqueueEmbedJobs(queue: Queue<EmbedJobData>, requests: EmbedRequest[], models?: VectorModels): Promise<void> {
  for (let i = 0; i < requests.length; i += 500) {
    await queue.addBulk(
      requests.slice(i, i + 500).map((r) => ({
        name: "embed-product",
        data: { shop: r.shop, productId: r.productId, runId: r.runId },
        opts: { jobId: embedJobId(r.shop, r.productId, r.textHash, r.imageHash, models) },
      })),
    );
  }
}

/** Catalog-level work: full (bulk) syncs, one job per run, and the periodic reconciler. */
export const SYNC_QUEUE = "lookalike-sync";

export type SyncJobData = { kind: "bulk-sync"; shop: string; runId: string } | { kind: "reconcile"; shop?: string };

export const syncJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

export function bulkSyncJobId(shop: string, runId: string): string {
  return ["bulk", shop, runId].join("|");
}

export function createSyncQueue(connection: RedisClient, prefix: string = queuePrefix()): Queue<SyncJobData> {
  return new Queue<SyncJobData>(SYNC_QUEUE, { connection, prefix, defaultJobOptions: syncJobOptions });
}

export async function enqueueBulkSync(queue: Queue<SyncJobData>, shop: string, runId: string): Promise<void> {
  await queue.add("bulk-sync", { kind: "bulk-sync", shop, runId }, { jobId: bulkSyncJobId(shop, runId) });
}

/** One reconcile job per time bucket, whichever worker adds it first. */
export async function enqueueReconcile(queue: Queue<SyncJobData>, intervalMs: number): Promise<void> {
  const bucket = Math.floor(Date.now() / intervalMs);
  await queue.add("reconcile", { kind: "reconcile" }, { jobId: `reconcile|${bucket}`, attempts: 1 });
}

/**
 * One reconcile job when a worker starts: the time bucket's job may have run already in a worker
 * that stopped a moment ago with other models, and this one must not wait for the next bucket.
 */
export async function enqueueStartupReconcile(queue: Queue<SyncJobData>): Promise<void> {
  await queue.add("reconcile", { kind: "reconcile" }, { jobId: `reconcile|start|${process.pid}|${Date.now()}`, attempts: 1 });
}
