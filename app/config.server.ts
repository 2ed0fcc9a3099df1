/**
 * Process configuration from the environment, read once. Every process (web, worker, CLI) uses
 * this module so that names and defaults are the same everywhere (documented in README.md).
 */
import path from "node:path";
import { databaseUrl } from "./db/database-url";
import { parseProjection, type ProjectionConfig } from "./live-index/projection-config";
import { RedisAddressError, redisAddressFromEnv } from "./redis-address";
import {
  ModelChoiceError,
  parseImageModel,
  parseTextModel,
  type ImageModelChoice,
  type TextModelChoice,
} from "./embedding/models/model-choice";

export class ConfigError extends Error {}

export interface AppConfig {
  demo: boolean;
  apiKey: string;
  apiSecret: string;
  appUrl: string;
  scopes: string[];
  port: number;
  databaseUrl: string;
  /**
   * Where Redis is: REDIS_URL (default redis://127.0.0.1:6379), or the Redis Cluster of
   * REDIS_CLUSTER_NODES written `redis-cluster://host:port,…` (app/redis-address.ts); hand it to
   * app/redis.server.ts, which builds the right client.
   */
  redisUrl: string;
  modelsDir: string;
  modelsMirror?: string;
  /** TEXT_MODEL: hashed (default) | minilm | clip (see configured-embedders.server.ts). */
  textModel: TextModelChoice;
  /** IMAGE_MODEL: mobilenetv2 (default) | clip (see configured-embedders.server.ts). */
  imageModel: ImageModelChoice;
  dataDir: string;
  /**
   * SNAPSHOT_STORE: where shops' index snapshots are shared between web nodes. "off" (default):
   * each node's DATA_DIR only; "database": also in the database (snapshot-store.server.ts, decision 0016).
   */
  snapshotStore: "off" | "database";
  /** VECTOR_PROJECTION: learned projections for big shops (app/live-index/projection-config.ts); null: off. */
  projection: ProjectionConfig | null;
  /** Base URL of the Shopify Admin API; set only to talk to a local fake of it in tests. */
  adminApiBaseUrl?: string;
  /**
   * Demo only: the Storefront API the demo storefront serves at Shopify's same-origin path
   * (`/api/<version>/graphql.json`, forwarded there) for the blocks' market data; unset: that path answers 404.
   */
  demoStorefrontApi?: string;
  demoShop: string;
}

export const DEMO_SHOP = "lookalike-demo.myshopify.com";
const DEMO_API_KEY = "lookalike-demo-key";
const DEMO_API_SECRET = "lookalike-demo-secret";

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const demo = env.LOOKALIKE_DEMO === "1";
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`PORT must be a TCP port, got "${env.PORT}"`);
  const apiKey = env.SHOPIFY_API_KEY || (demo ? DEMO_API_KEY : "");
  const apiSecret = env.SHOPIFY_API_SECRET || (demo ? DEMO_API_SECRET : "");
  let redisUrl: string;
  try {
    redisUrl = redisAddressFromEnv(env);
  } catch (e) {
    if (e instanceof RedisAddressError) throw new ConfigError(e.message);
    throw e;
  }
  let textModel: TextModelChoice;
  let imageModel: ImageModelChoice;
  try {
    textModel = parseTextModel(env.TEXT_MODEL);
    imageModel = parseImageModel(env.IMAGE_MODEL);
  } catch (e) {
    if (e instanceof ModelChoiceError) throw new ConfigError(e.message);
    throw e;
  }
  return {
    demo,
    apiKey,
    apiSecret,
    appUrl: (env.SHOPIFY_APP_URL || `http://localhost:${port}`).replace(/\/$/, ""),
    scopes: (env.SCOPES || "read_products,read_inventory").split(",").map((s) => s.trim()).filter(Boolean),
    port,
    databaseUrl: databaseUrl(env),
    redisUrl,
    modelsDir: path.resolve(env.MODELS_DIR || "models"),
    modelsMirror: env.MODELS_MIRROR ? path.resolve(env.MODELS_MIRROR) : undefined,
    textModel,
    imageModel,
    dataDir: path.resolve(env.DATA_DIR || "data"),
    snapshotStore: snapshotStore(env.SNAPSHOT_STORE),
    projection: projection(env.VECTOR_PROJECTION),
    adminApiBaseUrl: env.SHOPIFY_ADMIN_API_BASE_URL || undefined,
    demoStorefrontApi: env.DEMO_STOREFRONT_API_URL || undefined,
    demoShop: env.DEMO_SHOP || DEMO_SHOP,
  };
}

function projection(value: string | undefined): ProjectionConfig | null {
  try {
    return parseProjection(value);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function snapshotStore(value: string | undefined): AppConfig["snapshotStore"] {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "off") return "off";
  if (v === "database") return "database";
  throw new ConfigError(`SNAPSHOT_STORE must be "off" or "database", got "${value}"`);
}

/** For processes that talk to Shopify: refuse to start without credentials, with one clear line. */
export function requireShopifyCredentials(config: AppConfig): void {
  const missing = [!config.apiKey && "SHOPIFY_API_KEY", !config.apiSecret && "SHOPIFY_API_SECRET"].filter(Boolean);
  if (missing.length) {
    throw new ConfigError(
      `${missing.join(" and ")} not set. Set them from your app in the Shopify Partner Dashboard, or run the demo (npm run demo) which needs none.`,
    );
  }
}

let cached: AppConfig | undefined;
export function config(): AppConfig {
  cached ??= readConfig();
  return cached;
}
