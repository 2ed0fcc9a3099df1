import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalFilter } from "../search/canonical-filter";
import { parseFilterParams } from "../search/filters";
import { BYTES_FIELD, ResultCache, resultCacheOptionsFromEnv, type ResultCacheOptions } from "./result-cache.server";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const namespace = `test-rc-${randomUUID()}`;
const SHOP = "cache-test.myshopify.com";
const opts = (o: Partial<ResultCacheOptions> = {}): ResultCacheOptions => ({ enabled: true, lruEntries: 0, ttlSeconds: 600, namespace, ...o });

async function ourKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${namespace}:*`, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
  return keys;
}

beforeAll(async () => {
  await redis.ping();
});
afterAll(async () => {
  const keys = await ourKeys();
  if (keys.length) await redis.del(keys);
  redis.disconnect();
});

/** The request text /proxy/similar hashes, for a shopper's query string. */
const similarRequest = (query: string) => `sim:1001:10:/apps/lookalike:${canonicalFilter(parseFilterParams(new URLSearchParams(query)))}`;
const body = (n: number) => Buffer.from(JSON.stringify({ products: Array.from({ length: 10 }, (_, i) => ({ id: String(n * 100 + i), title: `Product ${i}` })) }));

describe("ResultCache on real Redis", () => {
  it("keeps a shopper spraying thousands of distinct filters to the cap: fields, bytes and key length bounded", async () => {
    const cap = 200;
    const rc = new ResultCache(redis, opts({ redisMaxEntries: cap }));
    const longExclude = (n: number) => Array.from({ length: 250 }, (_, i) => String(1_000_000_000_000_000_000n + BigInt(n * 250 + i))).join(",");
    const results = new Map<number | undefined, number>();
    for (let n = 0; n < 3_000; n++) {
      const r = await rc.set(rc.key(SHOP, 7, "0.5,0.3,0.2", similarRequest(`exclude=${longExclude(n)}`)), body(n));
      results.set(r, (results.get(r) ?? 0) + 1);
    }
    expect(results.get(1)).toBe(cap);
    expect(results.get(-1)).toBe(3_000 - cap);
    const keys = await ourKeys();
    expect(keys).toEqual([`${namespace}:res:${SHOP}:7:0.5,0.3,0.2`]);
    expect((await redis.hlen(keys[0])) - 1).toBe(cap); // minus the byte-count field
    const usage = Number(await redis.call("MEMORY", "USAGE", keys[0], "SAMPLES", "0"));
    // The bodies are ~400 bytes; keys are 43-byte hashes: well under 1 KB an entry.
    expect(usage).toBeLessThan(cap * 1_024);
    const ttl = await redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it("builds fixed-length keys whatever the request's length", () => {
    const rc = new ResultCache(null, opts());
    const short = rc.key(SHOP, 1, "w", similarRequest(""));
    const long = rc.key(SHOP, 1, "w", similarRequest(`exclude=${Array.from({ length: 250 }, (_, i) => 10_000_000_000_000_000_000n + BigInt(i)).join(",")}&filter=${encodeURIComponent(`@tag:{${"x".repeat(900)}}`)}`));
    expect(long.hash).toBe(short.hash);
    expect(long.field.length).toBe(short.field.length);
    expect(long.id.length).toBe(short.id.length);
    expect(short.id.length).toBeLessThan(150);
  });

  it("hits across processes (Redis layer), the same for reordered filters; a catalog version bump misses", async () => {
    const writer = new ResultCache(redis, opts());
    const reader = new ResultCache(redis, opts()); // another web process: empty in-process layer
    expect(await writer.set(writer.key(SHOP, 11, "w", similarRequest("type=Bags,Hats&exclude=3,1")), Buffer.from("cached"))).toBe(1);
    const same = reader.key(SHOP, 11, "w", similarRequest("exclude=gid://shopify/Product/1,3&type=hats,bags"));
    expect((await reader.remote(same))?.toString()).toBe("cached");
    expect(reader.hits.redis).toBe(1);
    expect(await reader.remote(reader.key(SHOP, 12, "w", similarRequest("type=Bags,Hats&exclude=3,1")))).toBeUndefined();
    expect(await reader.remote(reader.key(SHOP, 11, "w", similarRequest("type=Bags")))).toBeUndefined();
    // A second write of the same entry changes nothing.
    expect(await writer.set(same, Buffer.from("again"))).toBe(0);
    expect((await reader.remote(same))?.toString()).toBe("cached");
  });

  it("caps the bytes per hash and skips bodies over the size limit (in both layers)", async () => {
    const rc = new ResultCache(redis, opts({ redisMaxBytes: 10_000, maxBodyBytes: 4_000, lruEntries: 10 }));
    const big = rc.key(SHOP, 21, "w", "big");
    expect(await rc.set(big, Buffer.alloc(4_001, 1))).toBeUndefined();
    expect(rc.local(big)).toBeUndefined();
    expect(await redis.hexists(big.hash, big.field)).toBe(0);
    const stored: number[] = [];
    for (let i = 0; i < 5; i++) stored.push((await rc.set(rc.key(SHOP, 21, "w", `r${i}`), Buffer.alloc(3_000, 1)))!);
    expect(stored).toEqual([1, 1, 1, -1, -1]);
    expect(Number(await redis.hget(big.hash, BYTES_FIELD))).toBe(9_000);
  });

  it("holds at most lruMaxBytes of bodies in the process, least recently used out first", () => {
    const rc = new ResultCache(null, opts({ lruEntries: 10_000, lruMaxBytes: 50_000 }));
    const big = Buffer.alloc(8_000, 0x61);
    const keys = Array.from({ length: 200 }, (_, i) => rc.key("a.myshopify.com", 1, "w", similarRequest(`exclude=${i + 1}`)));
    rc.local(keys[0]);
    for (const k of keys) void rc.set(k, big);
    expect(rc.localBytes).toBeLessThanOrEqual(50_000);
    expect(rc.local(keys[199])).toBeDefined(); // the newest is kept
    expect(rc.local(keys[0])).toBeUndefined(); // the oldest went first
  });

  it("reads its caps from the environment", () => {
    expect(resultCacheOptionsFromEnv({ SEARCH_CACHE_REDIS_MAX_ENTRIES: "123", SEARCH_CACHE_REDIS_MAX_BYTES: "4567", SEARCH_CACHE_MAX_BODY_BYTES: "89", SEARCH_CACHE_LRU_MAX_BYTES: "1000" } as unknown as NodeJS.ProcessEnv)).toMatchObject({
      lruMaxBytes: 1000,
      redisMaxEntries: 123,
      redisMaxBytes: 4567,
      maxBodyBytes: 89,
    });
    expect(resultCacheOptionsFromEnv({} as unknown as NodeJS.ProcessEnv)).toMatchObject({ redisMaxEntries: 5_000, redisMaxBytes: 32 * 1024 * 1024, maxBodyBytes: 64 * 1024 });
  });
});
