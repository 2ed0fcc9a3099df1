/**
 * The web process' long-lived collaborators, created on first use: the embedding queue (webhooks
 * enqueue work), a Redis publisher, the live catalogs that serve storefront searches, and the
 * configured embedders (IMAGE_MODEL for photo search, TEXT_MODEL for text search; an optional
 * model that is not installed falls back to the default, said in one line).
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createEmbedQueue, createSyncQueue, type EmbedJobData, type SyncJobData } from "./queues/queues.server";
import { EventBatcher } from "./analytics/event-batcher.server";
import { config } from "./config.server";
import { db } from "./db.server";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder, type Configured } from "./embedding/configured-embedders.server";
import type { ImageEmbedder } from "./embedding/image/image-embedder.server";
import type { TextEmbedder } from "./embedding/text/text-embedder.server";
import { createBullConnection, createRedis } from "./redis.server";
import { metricsEnabled, processRegistry } from "./metrics/registry.server";
import { liveCatalogsMetrics } from "./metrics/storefront-metrics.server";
import { LiveCatalogs } from "./storefront/live-catalogs.server";
import type { WebhookDeps } from "./webhooks/webhook-handlers.server";

interface WebServices {
  queue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  publisher: Redis;
  embedder: Promise<ImageEmbedder>;
  textEmbedder: Promise<TextEmbedder>;
  catalogs: Promise<LiveCatalogs>;
  /** Storefront event counts waiting for their next write (flushed every EVENTS_FLUSH_MS and on close). */
  events: EventBatcher;
}

declare global {
  // One set per process, kept on globalThis: Remix's dev server re-imports changed modules, and a
  // second set would open a second set of Redis connections, embedders and live catalogs.
  var __lookalikeWeb: WebServices | undefined;
}

/**
 * The web process's last step before it exits (server.ts, once no request is left; exported to it
 * by app/entry.server.tsx): waits for the index snapshots being written, so a stop never cuts a save
 * off half-way (which left hundreds of MB of temporary files behind; the previous snapshot stayed
 * intact), after writing the storefront event counts still in memory. Nothing to do when no
 * storefront request ever started the services.
 */
export async function closeWebServices(): Promise<void> {
  const services = globalThis.__lookalikeWeb;
  if (!services) return;
  await services.events.close();
  await (await services.catalogs).close();
}

function withWarning<T>(configured: Promise<Configured<T>>): Promise<T> {
  return configured.then(({ embedder, warning }) => {
    if (warning) console.warn(`[lookalike] ${warning}`);
    return embedder;
  });
}

/** Shop opens, snapshot saves, change lag: registered at load, so the series exist before the first request. */
const catalogsObserver = metricsEnabled() ? liveCatalogsMetrics(processRegistry) : undefined;

export function webServices(): WebServices {
  if (!globalThis.__lookalikeWeb) {
    const cfg = config();
    const opts = { modelsDir: cfg.modelsDir, intraOpThreads: 1 };
    // onnxruntime-node runs inference on the calling thread: the photo model gets a worker thread,
    // so a photo search does not stall every other storefront request (docs/benchmarks.md, soak).
    const embedder = withWarning(createConfiguredImageEmbedder(cfg.imageModel, { ...opts, offMainThread: true }));
    const textEmbedder = withWarning(createConfiguredTextEmbedder(cfg.textModel, opts));
    const connection = createBullConnection(cfg.redisUrl);
    globalThis.__lookalikeWeb = {
      queue: createEmbedQueue(connection),
      syncQueue: createSyncQueue(connection),
      publisher: createRedis(cfg.redisUrl),
      events: new EventBatcher(db),
      embedder,
      textEmbedder,
      catalogs: Promise.all([embedder, textEmbedder]).then(([image, text]) => {
        const catalogs = new LiveCatalogs({
          db: db(),
          dataDir: cfg.dataDir,
          imageModelId: image.modelId,
          imageDim: image.dim,
          textModelId: text.modelId,
          textDim: text.dim,
          observer: catalogsObserver,
        });
        catalogs.subscribe(cfg.redisUrl);
        return catalogs;
      }),
    };
  }
  return globalThis.__lookalikeWeb;
}

/** The live catalogs if a request has started them (metrics read them; they never start them). */
export function startedCatalogs(): Promise<LiveCatalogs> | undefined {
  return globalThis.__lookalikeWeb?.catalogs;
}

export function webhookDeps(): WebhookDeps {
  const s = webServices();
  return { db: db(), queue: s.queue, syncQueue: s.syncQueue, publisher: s.publisher, dataDir: config().dataDir };
}
