/**
 * Redis connections. BullMQ needs `maxRetriesPerRequest: null` on worker connections; other
 * clients fail fast so a missing Redis surfaces as one clear error rather than a hang.
 */
import { Redis, type RedisOptions } from "ioredis";
import { moduleLogger } from "./logging/logger.server";

const log = moduleLogger("redis");

export class RedisUnavailableError extends Error {}

/**
 * Prefix of every Redis key and channel we use (BullMQ queues included), from REDIS_NAMESPACE.
 * Lets several deployments or test runs share one Redis without seeing each other's jobs.
 */
export function redisNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_NAMESPACE || "lookalike";
}

export function redisHowTo(url: string): string {
  return (
    `Redis is not reachable at ${url}. Start one with: redis-server --daemonize yes --save "" --appendonly no ` +
    `(Debian: sudo apt-get install -y redis-server), or set REDIS_URL to a running Redis.`
  );
}

const lastReported = new Map<string, number>();
/**
 * ioredis reconnects on its own after Redis goes away; without an "error" listener it prints a
 * stack trace for every failed attempt. One line per Redis per 10 s says the same.
 */
export function reportRedisErrors(client: Redis, url: string): Redis {
  client.on("error", (err: Error & { code?: string }) => {
    const key = redactRedisUrl(url);
    if (Date.now() - (lastReported.get(key) ?? 0) < 10_000) return;
    lastReported.set(key, Date.now());
    log.error(`Redis at ${key}: ${err.code ?? err.message}; reconnecting`);
  });
  return client;
}

function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return reportRedisErrors(new Redis(url, { lazyConnect: false, enableAutoPipelining: true, ...opts }), url);
}

/** For BullMQ Queue/Worker/QueueEvents. */
export function createBullConnection(url: string): Redis {
  return reportRedisErrors(new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true }), url);
}

/** Resolves when Redis answers PING; otherwise throws RedisUnavailableError with what to do. */
export async function checkRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch {
    throw new RedisUnavailableError(redisHowTo(redactRedisUrl(url)));
  } finally {
    client.disconnect();
  }
}
