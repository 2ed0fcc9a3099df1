import net from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/app-processes";
import { checkRedis, createRedis, createStorefrontRedis, RedisUnavailableError, scanKeys, STOREFRONT_REDIS_TIMEOUT_MS, unlinkKeys } from "./redis.server";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("checkRedis", () => {
  it("says in one line what to do when a cluster's nodes are not reachable, within about twice the timeout", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const started = Date.now();
    const err = await checkRedis(`redis-cluster://127.0.0.1:${a},127.0.0.1:${b}`, 500).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    const message = (err as Error).message;
    expect(message).toBe(
      `Redis Cluster is not reachable or not ok at 127.0.0.1:${a},127.0.0.1:${b} (REDIS_CLUSTER_NODES). Start its nodes and check that ` +
        `\`redis-cli -h 127.0.0.1 -p ${a} cluster info\` says cluster_state:ok, or unset REDIS_CLUSTER_NODES to use one Redis at REDIS_URL.`,
    );
    expect(message).not.toMatch(/\n/);
  });

  it("refuses a plain Redis named as a cluster node (it is not in cluster mode)", async () => {
    const port = new URL(REDIS_URL).port || "6379";
    await expect(checkRedis(`redis-cluster://127.0.0.1:${port}`, 1_000)).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it("passes for the one Redis", async () => {
    await expect(checkRedis(REDIS_URL)).resolves.toBeUndefined();
  });
});

describe("scanKeys and unlinkKeys on one Redis", () => {
  it("find and delete keys by pattern", async () => {
    const redis = createRedis(REDIS_URL);
    const ns = `lookalike-test-redis-${process.pid}`;
    try {
      await Promise.all(["a", "b", "c"].map((k) => redis.set(`${ns}:${k}`, "1")));
      const keys: string[] = [];
      for await (const batch of scanKeys(redis, `${ns}:*`)) keys.push(...batch);
      expect(keys.sort()).toEqual([`${ns}:a`, `${ns}:b`, `${ns}:c`]);
      expect(await unlinkKeys(redis, keys)).toBe(3);
      expect(await unlinkKeys(redis, [])).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe("createStorefrontRedis", () => {
  it("gives up on a command a silent Redis never answers within its timeout, where a plain client keeps waiting", async () => {
    // Accepts connections, reads every byte, answers nothing: a partition that drops packets.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => (sockets.push(s), s.resume()));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = `redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const storefront = createStorefrontRedis(url);
    const plain = createRedis(url);
    try {
      const started = Date.now();
      await expect(storefront.get("k")).rejects.toThrow(/timed out/i);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(STOREFRONT_REDIS_TIMEOUT_MS - 10);
      expect(waited).toBeLessThan(STOREFRONT_REDIS_TIMEOUT_MS + 1_000);
      const outcome = await Promise.race([
        plain.get("k").then(
          () => "answered",
          () => "failed",
        ),
        new Promise((r) => setTimeout(() => r("still waiting"), 1_500)),
      ]);
      expect(outcome).toBe("still waiting");
    } finally {
      storefront.disconnect();
      plain.disconnect();
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
