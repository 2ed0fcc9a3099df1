/**
 * The web process' composition root: every long-lived collaborator of the web process is built
 * here, once, and handed on as an argument — to the fast /proxy/similar path and the storefront's
 * proxy routes (`storefront`: StorefrontServices), the webhook routes (`webhookDeps`), the
 * storefront events route (`storefrontEventDeps`) and the admin (app/admin/admin-deps.server.ts
 * reads them). Follow any of them by "go to
 * definition" from here.
 *
 * - the database client (the process' one Prisma client, app/db.server.ts);
 * - the embedding and sync queues (webhooks, imports and the admin enqueue work) and a Redis publisher;
 * - the configured embedders (IMAGE_MODEL for photo search, on a worker thread; TEXT_MODEL for
 *   text search; an optional model that is not installed falls back to the default, said in one line);
 * - the live index (app/live-index/), subscribed to catalog changes;
 * - the storefront's rate limits and result cache; the storefront event batcher.
 *
 * Created on first use (the first request that needs them), not at start: a web process that
 * serves no storefront or admin request loads no model.
 */
import type { Queue } from "bullmq";
import { catalogProducts } from "./analytics/catalog-products.server";
import { EventBatcher } from "./analytics/event-batcher.server";
import type { StorefrontEventDeps } from "./analytics/storefront-events.server";
import { config } from "./config.server";
import { db, type Db } from "./db.server";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder, type Configured } from "./embedding/configured-embedders.server";
import type { ImageEmbedder } from "./embedding/image/image-embedder.server";
import type { TextEmbedder } from "./embedding/text/text-embedder.server";
import { LiveCatalogs } from "./live-index/live-catalogs.server";
import { DatabaseSnapshotStore } from "./live-index/snapshot-store.server";
import { databaseKind } from "./db/database-url";
import { metricsEnabled, processRegistry } from "./metrics/registry.server";
import { liveCatalogsMetrics, registerStorefrontMetrics } from "./metrics/storefront-metrics.server";
import { createEmbedQueue, createSyncQueue, type EmbedJobData, type SyncJobData } from "./queues/queues.server";
import { createBullConnection, createRedis, createStorefrontRedis, type RedisClient } from "./redis.server";
import { planCounts } from "./search/search-planner";
import { storedListCounts } from "./search/shop-vector-index.server";
import { photoSearchAdmission } from "./storefront/admission.server";
import { RateLimits } from "./storefront/rate-limits.server";
import { ResultCache, resultCacheOptionsFromEnv } from "./storefront/result-cache.server";
import type { StorefrontServices } from "./storefront/storefront-services";
import type { WebhookDeps } from "./webhooks/webhook-handlers.server";
import { adminClientFactory } from "./shopify/admin-client.server";
import { moduleLogger } from "./logging/logger.server";

const log = moduleLogger("web-services");

export interface WebServices {
  db: Db;
  queue: Queue<EmbedJobData>;
  syncQueue: Queue<SyncJobData>;
  publisher: RedisClient;
  embedder: Promise<ImageEmbedder>;
  textEmbedder: Promise<TextEmbedder>;
  catalogs: Promise<LiveCatalogs>;
  /** Storefront event counts waiting for their next write (flushed every EVENTS_FLUSH_MS and on close). */
  events: EventBatcher;
  /** What the storefront's proxy handlers work with (the fast path's and the proxy routes' argument). */
  storefront: StorefrontServices;
}

declare global {
  // The one module-level singleton of the web process, and the documented exception to "no
  // globalThis singletons": Remix's dev server (Vite) re-imports this module whenever one of its
  // imports changes, and module state would then open a second set of Redis connections,
  // embedders and live catalogs. In production the build is imported once; the global costs nothing.
  var __lookalikeWeb: WebServices | undefined;
}

function withWarning<T>(configured: Promise<Configured<T>>): Promise<T> {
  return configured.then(({ embedder, warning }) => {
    if (warning) log.warn(warning);
    return embedder;
  });
}

/** Shop opens, snapshot saves, change lag: registered at load, so the series exist before the first request. */
const catalogsObserver = metricsEnabled() ? liveCatalogsMetrics(processRegistry) : undefined;

// Read at scrape time (server.ts serves the process registry on METRICS_PORT); never start the services.
if (metricsEnabled()) {
  registerStorefrontMetrics(processRegistry, {
    cacheHits: () => globalThis.__lookalikeWeb?.storefront.resultCache.hits,
    plans: planCounts,
    storedLists: storedListCounts,
    admission: photoSearchAdmission,
    loaded: () => globalThis.__lookalikeWeb?.catalogs.then((c) => c.loaded()),
  });
}

/** Builds the web process' services (no global: webServices() keeps the process' one set). */
export function createWebServices(cfg = config(), database: Db = db()): WebServices {
  const opts = { modelsDir: cfg.modelsDir, intraOpThreads: 1 };
  // onnxruntime-node runs inference on the calling thread: the photo model gets a worker thread,
  // so a photo search does not stall every other storefront request (docs/benchmarks.md, soak).
  const embedder = withWarning(createConfiguredImageEmbedder(cfg.imageModel, { ...opts, offMainThread: true }));
  const textEmbedder = withWarning(createConfiguredTextEmbedder(cfg.textModel, opts));
  const connection = createBullConnection(cfg.redisUrl);
  const publisher = createRedis(cfg.redisUrl);
  // Its own client, each command bounded: a Redis that stops answering must not hold the storefront.
  const storefrontRedis = createStorefrontRedis(cfg.redisUrl);
  const catalogs = Promise.all([embedder, textEmbedder]).then(([image, text]) => {
    const live = new LiveCatalogs({
      db: database,
      dataDir: cfg.dataDir,
      imageModelId: image.modelId,
      imageDim: image.dim,
      textModelId: text.modelId,
      textDim: text.dim,
      projection: cfg.projection,
      observer: catalogsObserver,
      store: cfg.snapshotStore === "database" ? new DatabaseSnapshotStore(database, { kind: databaseKind(cfg.databaseUrl) }) : undefined,
    });
    live.subscribe(cfg.redisUrl);
    return live;
  });
  return {
    db: database,
    queue: createEmbedQueue(connection),
    syncQueue: createSyncQueue(connection),
    publisher,
    events: new EventBatcher(() => database),
    embedder,
    textEmbedder,
    catalogs,
    storefront: {
      db: database,
      catalogs,
      embedder,
      textEmbedder,
      rateLimits: new RateLimits(storefrontRedis),
      resultCache: new ResultCache(storefrontRedis, resultCacheOptionsFromEnv()),
    },
  };
}

/** The web process' services, created on first use. */
export function webServices(): WebServices {
  globalThis.__lookalikeWeb ??= createWebServices();
  return globalThis.__lookalikeWeb;
}

/**
 * The web process's last step before it exits (server.ts, once no request is left; exported to it
 * by app/entry.server.tsx): waits for the index snapshots being written, so a stop never cuts a save
 * off half-way (which left hundreds of MB of temporary files behind; the previous snapshot stayed
 * intact), after writing the storefront event counts still in memory. Nothing to do when no
 * request ever started the services.
 */
export async function closeWebServices(): Promise<void> {
  const services = globalThis.__lookalikeWeb;
  if (!services) return;
  await services.events.close();
  await (await services.catalogs).close();
}

/** What the webhook routes' handlers work with (app/webhooks/webhook-handlers.server.ts). */
export function webhookDeps(): WebhookDeps {
  const s = webServices();
  return { db: s.db, queue: s.queue, syncQueue: s.syncQueue, publisher: s.publisher, dataDir: config().dataDir, adminClient: adminClientFactory(s.db, config()) };
}

/** What /proxy/events works with (app/analytics/storefront-events.server.ts), for one request's client. */
export function storefrontEventDeps(clientAddress: string | undefined): StorefrontEventDeps {
  const s = webServices();
  return {
    clientAddress,
    products: (shop) => catalogProducts(s.catalogs, shop),
    rateLimit: (shop, address) => s.storefront.rateLimits.check("events", shop, address),
    batcher: s.events,
  };
}
