/**
 * Abuse limits on the public (app proxy) routes, per shop and per shopper IP, shared by every
 * web process through Redis (rate-limiter-flexible). Over the limit → 429 with Retry-After.
 * If Redis is unreachable an in-memory limiter per process takes over (never fail open).
 *
 * A client's budget is search work, not request count: `charge` adds points for a search that took
 * long (an exact scan under a narrow filter, a large limit), so one client's valid but costly
 * searches run out of budget as many times sooner as they cost more (docs/decisions/0003).
 *
 * Every command of a limiter names one key (rate-limiter-flexible's one-key Lua `rlflxIncr` and
 * one-key MULTIs), so the limits work on a Redis Cluster as they are (docs/decisions/0014).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { redisNamespace, type RedisClient } from "../redis.server";
import { ProxyError } from "./proxy-errors.server";

export type LimitedRoute = "similar" | "photo" | "events";

interface Limit {
  perShop: number;
  perIp: number;
}

/**
 * Milliseconds of search work that cost one extra point of a client's budget
 * (RATE_LIMIT_SEARCH_MS_PER_POINT, default 2; 0 charges every search one point).
 */
export function searchMsPerPointFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.RATE_LIMIT_SEARCH_MS_PER_POINT ?? 2);
  return Number.isFinite(v) && v > 0 ? v : 0;
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

  constructor(
    private readonly redis: RedisClient,
    private readonly limits = limitsFromEnv(),
    private readonly msPerPoint = searchMsPerPointFromEnv(),
  ) {}

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

  /**
   * Charges a client IP for a search that took `workMs` of the event loop: one extra point per
   * `msPerPoint` beyond the first (the request itself already cost one in `check`). Cheap searches
   * cost nothing more. Not awaited by callers: the charge lands in Redis after the answer is sent,
   * and the client's next request sees it. Shop limits are not charged (an attacker could spend a
   * shop's budget with cheap requests anyway; the per-shop limit is for runaway themes).
   */
  async charge(route: LimitedRoute, shop: string, ip: string | undefined, workMs: number): Promise<number> {
    const { perIp } = this.limits[route];
    if (!ip || perIp <= 0 || this.msPerPoint <= 0) return 0;
    const points = Math.min(perIp, Math.floor(workMs / this.msPerPoint));
    if (points < 1) return 0;
    await this.limiter(route, "ip", perIp).penalty(`${shop}|${ip}`, points);
    return points;
  }
}
