/**
 * Abuse limits on the public (app proxy) routes, per shop and per shopper IP, shared by every
 * web process through Redis (rate-limiter-flexible). Over the limit → 429 with Retry-After.
 * If Redis is unreachable an in-memory limiter per process takes over (never fail open).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { redisNamespace } from "../redis.server";
import { ProxyError } from "./proxy-errors.server";

export type LimitedRoute = "similar" | "photo" | "events";

interface Limit {
  perShop: number;
  perIp: number;
}

/** Requests per minute; override with RATE_LIMIT_<ROUTE>_SHOP / _IP (0 disables that limit). */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<LimitedRoute, Limit> {
  const n = (name: string, fallback: number) => (env[name] === undefined ? fallback : Number(env[name]));
  return {
    similar: { perShop: n("RATE_LIMIT_SIMILAR_SHOP", 60_000), perIp: n("RATE_LIMIT_SIMILAR_IP", 600) },
    photo: { perShop: n("RATE_LIMIT_PHOTO_SHOP", 1_200), perIp: n("RATE_LIMIT_PHOTO_IP", 30) },
    events: { perShop: n("RATE_LIMIT_EVENTS_SHOP", 60_000), perIp: n("RATE_LIMIT_EVENTS_IP", 600) },
  };
}

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(private readonly redis: Redis, private readonly limits = limitsFromEnv()) {}

  private limiter(route: LimitedRoute, scope: "shop" | "ip", points: number): RateLimiterRedis {
    const key = `${route}:${scope}`;
    let l = this.limiters.get(key);
    if (!l) {
      l = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${redisNamespace()}:rl:${key}`,
        points,
        duration: 60,
        inMemoryBlockOnConsumed: points, // once over, answer from memory until the window ends
        insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
      });
      this.limiters.set(key, l);
    }
    return l;
  }

  /** Throws a 429 ProxyError when the shop or the client IP is over its limit for this route. */
  async check(route: LimitedRoute, shop: string, ip: string | undefined): Promise<void> {
    const { perShop, perIp } = this.limits[route];
    const checks: Promise<unknown>[] = [];
    if (perShop > 0) checks.push(this.limiter(route, "shop", perShop).consume(shop));
    if (perIp > 0 && ip) checks.push(this.limiter(route, "ip", perIp).consume(`${shop}|${ip}`));
    try {
      await Promise.all(checks);
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new ProxyError(429, "rate_limited", "Too many requests; please try again shortly.", { "Retry-After": String(seconds) });
      }
      throw res;
    }
  }
}
