/**
 * Worker process entry (`npm run worker`): BullMQ workers for the embed queue (per product) and
 * the sync queue (bulk syncs, reconciler). Scale out by running more of these.
 */
import { Worker, type Job } from "bullmq";
import { config } from "../app/config.server";
import { db } from "../app/db.server";
import { defaultImageFetchPolicy } from "../app/catalog/image-fetch.server";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder } from "../app/embedding/configured-embedders.server";
import { COLOR_FALLBACK_MODEL_ID } from "../app/embedding/image/image-embedder.server";
import { preflight } from "../app/preflight.server";
import { createBullConnection, createRedis } from "../app/redis.server";
import { adminClientFactory } from "../app/shopify/admin-client.server";
import { createEmbedProcessor, createNotifier, recordFinalFailure, type EmbedJobDeps } from "./embed-product.job";
import { createEmbedQueue, createSyncQueue, EMBED_QUEUE, enqueueReconcile, enqueueStartupReconcile, queuePrefix, SYNC_QUEUE, type EmbedJobData, type SyncJobData } from "../app/queues/queues.server";
import { createSyncProcessor, recordSyncJobFailure, type SyncJobDeps } from "./sync.job";
import { errorSummary } from "../app/shared/error-text";
import { runMain } from "../app/shared/cli.server";
import { moduleLogger, withLogContext } from "../app/logging/logger.server";
import { metricsEnabled, metricsPortFromEnv, processRegistry } from "../app/metrics/registry.server";
import { startMetricsServer } from "../app/metrics/metrics-server.server";
import { workerMetrics } from "../app/metrics/worker-metrics.server";

const workerLog = moduleLogger("worker");
const log = (line: string) => workerLog.info(line);

/** A job's processor whose every log line (any module's) carries the job's id, queue and shop. */
function inJobContext<D extends { shop?: string }, R>(queue: string, run: (job: Job<D>, token?: string) => Promise<R>) {
  return (job: Job<D>, token?: string) => withLogContext({ queue, jobId: job.id, shop: job.data.shop }, () => run(job, token));
}
const jobFields = (queue: string, job: Job<{ shop?: string }>) => ({ queue, jobId: job.id, shop: job.data.shop });

export async function startWorker() {
  const cfg = config();
  await preflight(cfg);
  const image = await createConfiguredImageEmbedder(cfg.imageModel, { modelsDir: cfg.modelsDir });
  const text = await createConfiguredTextEmbedder(cfg.textModel, { modelsDir: cfg.modelsDir });
  for (const w of [image.warning, text.warning]) if (w) workerLog.warn(w);
  const embedder = image.embedder;
  const textEmbedder = text.embedder;
  // What the reconciler compares stored vectors with. A worker on the colour fallback (no model
  // file) does not ask for products a real model embedded to be redone.
  const models = { textModelId: textEmbedder.modelId, imageModelId: embedder.modelId === COLOR_FALLBACK_MODEL_ID ? undefined : embedder.modelId };
  const publisher = createRedis(cfg.redisUrl);
  const queueConnection = createBullConnection(cfg.redisUrl);
  const embedQueue = createEmbedQueue(queueConnection);
  const syncQueue = createSyncQueue(queueConnection);
  const notifier = createNotifier({ db: db(), publisher }, (err) => workerLog.warn(`progress update failed: ${err.message}`));
  const metrics = workerMetrics(processRegistry, { enabled: metricsEnabled(), queues: [embedQueue, syncQueue] });
  const embedDeps: EmbedJobDeps = { db: db(), embedder, textEmbedder, fetchPolicy: defaultImageFetchPolicy(), publisher, notifier, onImageError: metrics.imageError };
  const syncDeps: SyncJobDeps = {
    db: db(),
    embedQueue,
    syncQueue,
    publisher,
    adminClient: adminClientFactory(db(), cfg),
    staleAfterMs: Number(process.env.RECONCILE_STALE_MS ?? 120_000),
    models,
    log,
  };
  // Enough concurrent jobs for the embedder's micro-batches to fill while others wait on I/O.
  const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 8);
  const embedWorker = new Worker<EmbedJobData>(EMBED_QUEUE, inJobContext(EMBED_QUEUE, metrics.embedProcessor(createEmbedProcessor(embedDeps))), {
    connection: createBullConnection(cfg.redisUrl),
    prefix: queuePrefix(),
    concurrency,
    // An embed job takes well under a second: a worker that died is noticed within ~20 s, and
    // its jobs run again elsewhere (they are idempotent).
    lockDuration: 15_000,
    stalledInterval: 10_000,
  });
  const syncWorker = new Worker<SyncJobData>(SYNC_QUEUE, inJobContext(SYNC_QUEUE, createSyncProcessor(syncDeps)), {
    connection: createBullConnection(cfg.redisUrl),
    prefix: queuePrefix(),
    concurrency: 2,
  });
  embedWorker.on("failed", (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    const line = `embed ${job.data.shop}/${job.data.productId} failed (attempt ${job.attemptsMade}${final ? ", giving up" : ""}): ${errorSummary(err)}`;
    const jobLog = workerLog.child(jobFields(EMBED_QUEUE, job));
    if (!final) return jobLog.warn(line);
    void recordFinalFailure(embedDeps, job, err).then(
      (outcome) => jobLog.error(outcome === "left pending" ? `${line}; the database was unreachable, so the product stays pending and the reconciler queues it again` : line),
      (e) => jobLog.error(`${line}; could not record it: ${errorSummary(e)}`),
    );
  });
  syncWorker.on("failed", (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    workerLog[final ? "error" : "warn"](jobFields(SYNC_QUEUE, job), `sync job ${job.id} failed (attempt ${job.attemptsMade}${final ? ", giving up" : ""}): ${errorSummary(err)}`);
    if (final) void recordSyncJobFailure(syncDeps, job, err).catch(() => {});
  });
  // While Redis is away every connection reports each reconnect attempt: say it once per 10 s.
  let lastWorkerError = 0;
  for (const w of [embedWorker, syncWorker])
    w.on("error", (err) => {
      if (Date.now() - lastWorkerError < 10_000) return;
      lastWorkerError = Date.now();
      workerLog.error(`worker error: ${err.message} (retrying; repeats within 10 s not shown)`);
    });
  await Promise.all([embedWorker.waitUntilReady(), syncWorker.waitUntilReady()]);

  // The reconciler runs on a timer in every worker (one job per interval across all of them), so
  // it keeps running even after Redis lost every job, including any repeatable schedule.
  const reconcileEvery = Number(process.env.RECONCILE_INTERVAL_MS ?? 60_000);
  const reconcileFailed = (err: Error) => workerLog.error(`could not schedule the reconciler: ${err.message}`);
  const scheduleReconcile = () => void enqueueReconcile(syncQueue, reconcileEvery).catch(reconcileFailed);
  // A worker that starts (perhaps with another model) reconciles at once, not at the next bucket.
  void enqueueStartupReconcile(syncQueue).catch(reconcileFailed);
  const timer = setInterval(scheduleReconcile, reconcileEvery);
  const metricsPort = metricsEnabled() ? metricsPortFromEnv("WORKER_METRICS_PORT", 9464) : 0;
  const metricsServer = startMetricsServer({ registry: processRegistry, port: metricsPort, token: process.env.METRICS_TOKEN, log });
  log(`worker ready: model ${embedder.modelId} (${embedder.dim}-d), text ${textEmbedder.modelId} (${textEmbedder.dim}-d), concurrency ${concurrency}, reconcile every ${reconcileEvery / 1000} s`);

  const stop = async () => {
    log("worker stopping (finishing active jobs)...");
    clearInterval(timer);
    metricsServer?.close();
    await Promise.all([embedWorker.close(), syncWorker.close()]);
    await notifier.flush();
    await Promise.all([embedQueue.close(), syncQueue.close()]);
    await Promise.all([embedder.close(), textEmbedder.close()]);
    publisher.disconnect();
    await db().$disconnect();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return { embedWorker, syncWorker };
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(startWorker);
