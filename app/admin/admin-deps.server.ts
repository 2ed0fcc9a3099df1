/**
 * What admin loaders and actions need, as one injectable object: the authenticated shop, the
 * database and the web process' services. Routes pass `adminDeps()`; tests pass their own
 * (a `shopifyApp(testConfig())` authenticate, a test database, fakes of the services).
 */
import type { Queue } from "bullmq";
import type { EmbedJobData } from "../queues/queues.server";
import type { Db } from "../db.server";
import type { ImageEmbedder } from "../embedding/image/image-embedder.server";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import type { RedisClient } from "../redis.server";

export interface AdminDeps {
  /** `authenticate.admin`: resolves the session or throws a Response (redirect / 401). */
  authenticate(request: Request): Promise<{ session: { shop: string } }>;
  db: Db;
  apiKey: string;
  apiSecret: string;
  /** The shop's live searchable catalog (as the storefront sees it). */
  catalog(shop: string): Promise<LiveCatalog>;
  queue(): Queue<EmbedJobData>;
  publisher(): Pick<RedisClient, "publish"> | null;
  embedder(): Promise<ImageEmbedder>;
  /** The text model (the photo preview's words); optional: without it words act through colour only. */
  textEmbedder?(): Promise<TextEmbedder>;
  /** Starts (or joins) a full catalog sync from Shopify; null when this deployment cannot reach Shopify (demo). */
  startFullSync: ((shop: string) => Promise<string>) | null;
}

export async function adminDeps(): Promise<AdminDeps> {
  const [{ authenticate }, { db }, { config }, { webServices }, { startFullSync }] = await Promise.all([
    import("../shopify.server"),
    import("../db.server"),
    import("../config.server"),
    import("../web-services.server"),
    import("../catalog/bulk-sync.server"),
  ]);
  const cfg = config();
  return {
    authenticate: (request) => authenticate.admin(request),
    db: db(),
    apiKey: cfg.apiKey,
    apiSecret: cfg.apiSecret,
    catalog: async (shop) => (await webServices().catalogs).get(shop),
    queue: () => webServices().queue,
    publisher: () => webServices().publisher,
    embedder: () => webServices().embedder,
    textEmbedder: () => webServices().textEmbedder,
    // The demo has no Shopify Admin API to sync from (unless pointed at a fake one).
    startFullSync: cfg.demo && !cfg.adminApiBaseUrl ? null : (shop) => startFullSync({ db: db(), syncQueue: webServices().syncQueue }, shop),
  };
}

/** Resolves within `ms` or gives null: a slow index build never blocks an admin page. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
