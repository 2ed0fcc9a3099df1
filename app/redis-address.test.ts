import { describe, expect, it } from "vitest";
import { clusterModeFromEnv, clusterNodesOf, parseClusterNodes, redisAddressFromEnv, RedisAddressError } from "./redis-address";

const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

describe("redis address", () => {
  it("is REDIS_URL (or the default) when no cluster is named", () => {
    expect(redisAddressFromEnv(env({}))).toBe("redis://127.0.0.1:6379");
    expect(redisAddressFromEnv(env({ REDIS_URL: "redis://r:6380" }))).toBe("redis://r:6380");
    expect(clusterNodesOf("redis://r:6380")).toBeNull();
    expect(clusterModeFromEnv(env({ REDIS_URL: "redis://r:6380" }))).toBe(false);
    expect(clusterModeFromEnv(env({ REDIS_CLUSTER_NODES: "  " }))).toBe(false);
  });

  it("names the cluster's nodes when REDIS_CLUSTER_NODES is set, whatever REDIS_URL says", () => {
    const address = redisAddressFromEnv(env({ REDIS_URL: "redis://r:6380", REDIS_CLUSTER_NODES: " 10.0.0.1:7000, redis://10.0.0.2:7001 ,[::1]:7002" }));
    expect(address).toBe("redis-cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002");
    expect(clusterNodesOf(address)).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "10.0.0.2", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(clusterModeFromEnv(env({ REDIS_CLUSTER_NODES: "h:1" }))).toBe(true);
  });

  it("refuses an entry without a port, with one line saying the format", () => {
    expect(() => parseClusterNodes("10.0.0.1")).toThrow(RedisAddressError);
    expect(() => parseClusterNodes("10.0.0.1:99999")).toThrow(/host:port,host:port/);
    expect(() => parseClusterNodes(",")).toThrow(/names no node/);
  });
});
