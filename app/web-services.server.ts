/**
 * The web process' long-lived collaborators, created on first use: the embedding queue (webhooks
 * enqueue work), a Redis publisher, the live catalogs that serve storefront searches and the
 * image embedder for photo search.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createEmbedQueue, createSyncQueue, type EmbedJobData, type SyncJobData } from "../jobs/queues.server";
import { config } from "./config.server";
import { db } from "./db.server";
import { createImageEmbedder, type ImageEmbedder } from "./embedding/image-embedder.server";
import { createBullConnection, createRedis } from "./redis.server";
import { LiveCatalogs } from "./storefront/live-catalogs.server";
import type { WebhookDeps } from "./webhooks/webhook-handlers.server";

interface WebServices {
  queue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  publisher: Redis;
  embedder: Promise<ImageEmbedder>;
  catalogs: Promise<LiveCatalogs>;
}

declare global {
  // eslint-disable-next-line no-var
  var __lookalikeWeb: WebServices | undefined;
}

export function webServices(): WebServices {
  if (!globalThis.__lookalikeWeb) {
    const cfg = config();
    const embedder = createImageEmbedder({ modelsDir: cfg.modelsDir, intraOpThreads: 1 });
    const connection = createBullConnection(cfg.redisUrl);
    globalThis.__lookalikeWeb = {
      queue: createEmbedQueue(connection),
      syncQueue: createSyncQueue(connection),
      publisher: createRedis(cfg.redisUrl),
      embedder,
      catalogs: embedder.then((e) => {
        const catalogs = new LiveCatalogs({ db: db(), dataDir: cfg.dataDir, imageModelId: e.modelId, imageDim: e.dim });
        catalogs.subscribe(cfg.redisUrl);
        return catalogs;
      }),
    };
  }
  return globalThis.__lookalikeWeb;
}

export function webhookDeps(): WebhookDeps {
  const s = webServices();
  return { db: db(), queue: s.queue, syncQueue: s.syncQueue, publisher: s.publisher, dataDir: config().dataDir };
}
