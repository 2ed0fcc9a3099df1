/**
 * Result cache of the storefront routes: the JSON bytes of a response, keyed by everything the
 * response depends on, including the shop's catalog version and the index's channel weights.
 * A catalog change (products, settings, rules) bumps Shop.catalogVersion, so the old keys are
 * simply never read again and expire by TTL — invalidation never scans keys.
 *
 * Two layers: a small in-process LRU (hot products; no I/O at all) and Redis (shared by every web
 * process). Configuration: SEARCH_CACHE=0 turns both off; SEARCH_CACHE_LRU (entries, default
 * 5000; 0 = no in-process layer); SEARCH_CACHE_TTL (seconds, default 3600).
 */
import type { Redis } from "ioredis";
import { redisNamespace } from "../redis.server";

export interface ResultCacheOptions {
  enabled: boolean;
  lruEntries: number;
  ttlSeconds: number;
  namespace: string;
}

export function resultCacheOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ResultCacheOptions {
  const num = (v: string | undefined, d: number) => (v !== undefined && v !== "" && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : d);
  return {
    enabled: env.SEARCH_CACHE !== "0",
    lruEntries: num(env.SEARCH_CACHE_LRU, 5_000),
    ttlSeconds: Math.max(1, num(env.SEARCH_CACHE_TTL, 3_600)),
    namespace: redisNamespace(env),
  };
}

export class ResultCache {
  private readonly lru = new Map<string, Buffer>();
  hits = { lru: 0, redis: 0, miss: 0 };

  constructor(
    private readonly redis: Redis | null,
    readonly opts: ResultCacheOptions,
  ) {}

  get enabled(): boolean {
    return this.opts.enabled;
  }

  key(shop: string, version: number, weightsKey: string, rest: string): string {
    return `${this.opts.namespace}:res:${shop}:${version}:${weightsKey}:${rest}`;
  }

  /** In-process layer only (synchronous). */
  local(key: string): Buffer | undefined {
    if (!this.opts.enabled || this.opts.lruEntries === 0) return undefined;
    const v = this.lru.get(key);
    if (v) {
      this.lru.delete(key);
      this.lru.set(key, v);
      this.hits.lru++;
    }
    return v;
  }

  /** Redis layer; fills the in-process layer. A Redis failure is a miss, never an error. */
  async remote(key: string): Promise<Buffer | undefined> {
    if (!this.opts.enabled || !this.redis || this.redis.status !== "ready") {
      this.hits.miss++;
      return undefined;
    }
    try {
      const v = await this.redis.getBuffer(key);
      if (!v) {
        this.hits.miss++;
        return undefined;
      }
      this.hits.redis++;
      this.remember(key, v);
      return v;
    } catch {
      this.hits.miss++;
      return undefined;
    }
  }

  set(key: string, body: Buffer): void {
    if (!this.opts.enabled) return;
    this.remember(key, body);
    if (this.redis && this.redis.status === "ready") void this.redis.set(key, body, "EX", this.opts.ttlSeconds).catch(() => {});
  }

  private remember(key: string, body: Buffer): void {
    if (this.opts.lruEntries === 0) return;
    this.lru.delete(key);
    this.lru.set(key, body);
    if (this.lru.size > this.opts.lruEntries) this.lru.delete(this.lru.keys().next().value!);
  }
}
