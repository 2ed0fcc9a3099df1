/**
 * What the storefront's handlers (proxy-handlers.server.ts) work with, handed to them as an
 * argument: built once per web process by the composition root (app/web-services.server.ts) and
 * passed by the fast path (app/entry.server.tsx › fastSimilar) and the proxy routes.
 */
import type { Db } from "../db.server";
import type { ImageEmbedder } from "../embedding/image/image-embedder.server";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import type { LiveCatalogs } from "../live-index/live-catalogs.server";
import type { RateLimits } from "./rate-limits.server";
import type { ResultCache } from "./result-cache.server";

export interface StorefrontServices {
  db: Db;
  /** The live index (started with the embedders: its dimensions are theirs). */
  catalogs: Promise<LiveCatalogs>;
  /** IMAGE_MODEL, on a worker thread (photo search). */
  embedder: Promise<ImageEmbedder>;
  /** TEXT_MODEL (text search). */
  textEmbedder: Promise<TextEmbedder>;
  /** Per-shop/per-IP limits of the public routes (state in Redis). */
  rateLimits: RateLimits;
  /** Result cache of /proxy/similar (in-process LRU + Redis). */
  resultCache: ResultCache;
}
