/**
 * Result cache of the storefront routes: the JSON bytes of a response, keyed by everything the
 * response depends on, including the shop's catalog version and the index's channel weights.
 * A catalog change (products, settings, rules) bumps Shop.catalogVersion, so the old entries are
 * simply never read again and expire by TTL — invalidation never scans keys.
 *
 * Two layers: a small in-process LRU (hot products; no I/O at all) and Redis (shared by every web
 * process). The Redis layer is bounded, whatever the requests: one Redis hash per (shop, catalog
 * version, weights) — `<ns>:res:<shop>:<version>:<weights>`, one key, Redis-Cluster friendly —
 * whose fields are fixed-length hashes of the canonical request. A small Lua script adds a field
 * only while the hash holds fewer than `redisMaxEntries` fields and `redisMaxBytes` of bodies, and
 * sets the TTL when it creates the hash: past the cap, responses are served but not cached in
 * Redis until the hash expires (at most `ttlSeconds` after it was created). Bodies over
 * `maxBodyBytes` are cached in neither layer.
 *
 * Configuration: SEARCH_CACHE=0 turns both off; SEARCH_CACHE_LRU (entries, default 5000; 0 = no
 * in-process layer); SEARCH_CACHE_TTL (seconds, default 3600); SEARCH_CACHE_REDIS_MAX_ENTRIES
 * (per shop and catalog version, default 5000); SEARCH_CACHE_REDIS_MAX_BYTES (per shop and
 * catalog version, default 32 MiB); SEARCH_CACHE_MAX_BODY_BYTES (default 64 KiB).
 */
import { createHash } from "node:crypto";
import { redisNamespace, type RedisClient } from "../redis.server";

export interface ResultCacheOptions {
  enabled: boolean;
  lruEntries: number;
  ttlSeconds: number;
  namespace: string;
  /** Most responses cached in Redis per (shop, catalog version, weights). */
  redisMaxEntries?: number;
  /** Most body bytes cached in Redis per (shop, catalog version, weights). */
  redisMaxBytes?: number;
  /** Larger responses are not cached at all. */
  maxBodyBytes?: number;
  /** Most body bytes the in-process layer holds (besides `lruEntries`). */
  lruMaxBytes?: number;
}

export const CACHE_DEFAULTS = { redisMaxEntries: 5_000, redisMaxBytes: 32 * 1024 * 1024, maxBodyBytes: 64 * 1024, lruMaxBytes: 32 * 1024 * 1024 } as const;

export function resultCacheOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ResultCacheOptions {
  const num = (v: string | undefined, d: number) => (v !== undefined && v !== "" && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : d);
  return {
    enabled: env.SEARCH_CACHE !== "0",
    lruEntries: num(env.SEARCH_CACHE_LRU, 5_000),
    ttlSeconds: Math.max(1, num(env.SEARCH_CACHE_TTL, 3_600)),
    namespace: redisNamespace(env),
    redisMaxEntries: Math.floor(num(env.SEARCH_CACHE_REDIS_MAX_ENTRIES, CACHE_DEFAULTS.redisMaxEntries)),
    redisMaxBytes: Math.floor(num(env.SEARCH_CACHE_REDIS_MAX_BYTES, CACHE_DEFAULTS.redisMaxBytes)),
    maxBodyBytes: Math.floor(num(env.SEARCH_CACHE_MAX_BODY_BYTES, CACHE_DEFAULTS.maxBodyBytes)),
    lruMaxBytes: Math.floor(num(env.SEARCH_CACHE_LRU_MAX_BYTES, CACHE_DEFAULTS.lruMaxBytes)),
  };
}

/** Where one response lives: a Redis hash (per shop, version, weights) and a field in it. */
export interface CacheKey {
  readonly hash: string;
  readonly field: string;
  /** The in-process layer's key. */
  readonly id: string;
}

/** The hash's bookkeeping field (bytes of bodies held); request fields are base64url, never "#". */
export const BYTES_FIELD = "#bytes";

/**
 * KEYS[1] the hash; ARGV: field, body, max entries, max bytes, TTL seconds. Returns 1 when stored,
 * 0 when the field was there, -1 when the hash is full. Atomic, one key.
 */
const PUT_SCRIPT = `
local key, field, body = KEYS[1], ARGV[1], ARGV[2]
if redis.call('HEXISTS', key, field) == 1 then return 0 end
local entries = redis.call('HLEN', key)
if entries > 0 then entries = entries - 1 end
local bytes = tonumber(redis.call('HGET', key, '${BYTES_FIELD}') or '0')
if entries >= tonumber(ARGV[3]) or bytes + #body > tonumber(ARGV[4]) then return -1 end
redis.call('HSET', key, field, body)
redis.call('HINCRBY', key, '${BYTES_FIELD}', #body)
if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, tonumber(ARGV[5])) end
return 1
`;

type PutCommand = (key: string, field: string, body: Buffer, maxEntries: number, maxBytes: number, ttl: number) => Promise<number>;
const PUT_COMMAND = "lookalikeResultCachePut";

export class ResultCache {
  private readonly lru = new Map<string, Buffer>();
  /** Body bytes in the in-process layer (bounded by lruMaxBytes as well as by lruEntries). */
  private lruBytes = 0;
  hits = { lru: 0, redis: 0, miss: 0 };
  private readonly put: PutCommand | undefined;
  private readonly limits: Required<Pick<ResultCacheOptions, "redisMaxEntries" | "redisMaxBytes" | "maxBodyBytes">>;

  constructor(
    private readonly redis: RedisClient | null,
    readonly opts: ResultCacheOptions,
  ) {
    this.limits = {
      redisMaxEntries: opts.redisMaxEntries ?? CACHE_DEFAULTS.redisMaxEntries,
      redisMaxBytes: opts.redisMaxBytes ?? CACHE_DEFAULTS.redisMaxBytes,
      maxBodyBytes: opts.maxBodyBytes ?? CACHE_DEFAULTS.maxBodyBytes,
    };
    if (redis) {
      const commands = redis as unknown as Record<string, PutCommand | undefined>;
      if (!commands[PUT_COMMAND]) redis.defineCommand(PUT_COMMAND, { numberOfKeys: 1, lua: PUT_SCRIPT });
      this.put = (commands[PUT_COMMAND] as PutCommand).bind(redis);
    }
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  /**
   * `request` is the canonical text of everything else the response depends on (bounded or not:
   * it is hashed, so the key's length never depends on it).
   */
  key(shop: string, version: number, weightsKey: string, request: string): CacheKey {
    const hash = `${this.opts.namespace}:res:${shop}:${version}:${weightsKey}`;
    const field = createHash("sha256").update(request).digest("base64url");
    return { hash, field, id: `${hash}|${field}` };
  }

  /** In-process layer only (synchronous). */
  local(key: CacheKey): Buffer | undefined {
    if (!this.opts.enabled || this.opts.lruEntries === 0) return undefined;
    const v = this.lru.get(key.id);
    if (v) {
      this.lru.delete(key.id);
      this.lru.set(key.id, v);
      this.hits.lru++;
    }
    return v;
  }

  /** Redis layer; fills the in-process layer. A Redis failure is a miss, never an error. */
  async remote(key: CacheKey): Promise<Buffer | undefined> {
    if (!this.opts.enabled || !this.redis || this.redis.status !== "ready") {
      this.hits.miss++;
      return undefined;
    }
    try {
      const v = await this.redis.hgetBuffer(key.hash, key.field);
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

  /** Resolves once Redis answered (1 stored, 0 already there, -1 full) or at once when not written there. */
  set(key: CacheKey, body: Buffer): Promise<number | undefined> {
    if (!this.opts.enabled || body.length > this.limits.maxBodyBytes) return Promise.resolve(undefined);
    this.remember(key, body);
    if (!this.put || this.redis?.status !== "ready") return Promise.resolve(undefined);
    const { redisMaxEntries, redisMaxBytes } = this.limits;
    return this.put(key.hash, key.field, body, redisMaxEntries, redisMaxBytes, this.opts.ttlSeconds).catch(() => undefined);
  }

  /** Bytes of bodies the in-process layer holds. */
  get localBytes(): number {
    return this.lruBytes;
  }

  private remember(key: CacheKey, body: Buffer): void {
    if (this.opts.lruEntries === 0) return;
    const maxBytes = this.opts.lruMaxBytes ?? CACHE_DEFAULTS.lruMaxBytes;
    if (body.length > maxBytes) return;
    const old = this.lru.get(key.id);
    if (old) {
      this.lru.delete(key.id);
      this.lruBytes -= old.length;
    }
    this.lru.set(key.id, body);
    this.lruBytes += body.length;
    // Least recently used first out, until both bounds hold: a client asking for many distinct
    // large answers (limit 50, odd filters) cannot grow the process past lruMaxBytes.
    while (this.lru.size > this.opts.lruEntries || this.lruBytes > maxBytes) {
      const [oldest, bytes] = this.lru.entries().next().value!;
      this.lru.delete(oldest);
      this.lruBytes -= bytes.length;
    }
  }
}
