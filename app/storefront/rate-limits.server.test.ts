import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { ProxyError } from "./proxy-errors.server";
import { RateLimits } from "./rate-limits.server";

process.env.REDIS_NAMESPACE = `lookalike-rl-test-${process.pid}`;
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
afterAll(async () => {
  const keys = await redis.keys(`${process.env.REDIS_NAMESPACE}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const limits = { similar: { perShop: 100, perIp: 3 }, photo: { perShop: 5, perIp: 0 }, events: { perShop: 0, perIp: 0 } };

describe("RateLimits (real Redis)", () => {
  it("answers 429 with Retry-After once a client IP is over its limit, per shop and IP", async () => {
    const rl = new RateLimits(redis, limits);
    for (let i = 0; i < 3; i++) await rl.check("similar", "a.myshopify.com", "203.0.113.7");
    const err = await rl.check("similar", "a.myshopify.com", "203.0.113.7").catch((e) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ status: 429, code: "rate_limited" });
    expect(Number(err.headers["Retry-After"])).toBeGreaterThanOrEqual(1);
    await expect(rl.check("similar", "a.myshopify.com", "198.51.100.1")).resolves.toBeUndefined();
    await expect(rl.check("similar", "b.myshopify.com", "203.0.113.7")).resolves.toBeUndefined();
  });

  it("limits a whole shop across IPs, and is shared by every process using the same Redis", async () => {
    const web1 = new RateLimits(redis, limits);
    const web2 = new RateLimits(redis, limits);
    for (let i = 0; i < 5; i++) await (i % 2 ? web1 : web2).check("photo", "c.myshopify.com", `192.0.2.${i}`);
    await expect(web1.check("photo", "c.myshopify.com", "192.0.2.99")).rejects.toMatchObject({ status: 429 });
  });

  it("charges costly searches: a client whose searches take long runs out of budget sooner; cheap ones cost one point", async () => {
    const costly = { ...limits, similar: { perShop: 1_000, perIp: 20 } };
    const rl = new RateLimits(redis, costly, 2);
    // 20 cheap searches (under 2 ms each) fit the budget of 20.
    for (let i = 0; i < 20; i++) {
      await rl.check("similar", "d.myshopify.com", "203.0.113.9");
      expect(await rl.charge("similar", "d.myshopify.com", "203.0.113.9", 1.5)).toBe(0);
    }
    await expect(rl.check("similar", "d.myshopify.com", "203.0.113.9")).rejects.toMatchObject({ status: 429 });
    // Searches of 9 ms cost 1 + 4 points: the same budget lasts 4 of them.
    let served = 0;
    for (let i = 0; i < 20; i++) {
      const ok = await rl.check("similar", "d.myshopify.com", "198.51.100.9").then(() => true, () => false);
      if (!ok) break;
      served++;
      expect(await rl.charge("similar", "d.myshopify.com", "198.51.100.9", 9)).toBe(4);
    }
    expect(served).toBe(4);
    // Another client of the same shop is untouched.
    await expect(rl.check("similar", "d.myshopify.com", "192.0.2.9")).resolves.toBeUndefined();
  });
});
