import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "./config.server";

const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

describe("readConfig: Redis", () => {
  it("reads REDIS_URL, or REDIS_CLUSTER_NODES when set (a bad list is one ConfigError line)", () => {
    expect(readConfig(env({})).redisUrl).toBe("redis://127.0.0.1:6379");
    expect(readConfig(env({ REDIS_URL: "redis://cache:6380" })).redisUrl).toBe("redis://cache:6380");
    expect(readConfig(env({ REDIS_CLUSTER_NODES: "10.0.0.1:7000,10.0.0.2:7000" })).redisUrl).toBe("redis-cluster://10.0.0.1:7000,10.0.0.2:7000");
    expect(() => readConfig(env({ REDIS_CLUSTER_NODES: "10.0.0.1" }))).toThrow(ConfigError);
  });
});
