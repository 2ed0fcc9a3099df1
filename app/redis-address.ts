/**
 * Where Redis is, as one string every process hands around (AppConfig.redisUrl): a Redis URL
 * (REDIS_URL, default redis://127.0.0.1:6379), or — when REDIS_CLUSTER_NODES is set — a Redis
 * Cluster's seed nodes written `redis-cluster://host:port,host:port`. Pure (no I/O, no imports),
 * so the configuration, the Redis clients, the queue prefix and the scripts agree on one reading.
 */

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const CLUSTER_SCHEME = "redis-cluster://";

export class RedisAddressError extends Error {}

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** `host:port,host:port` (spaces allowed, an optional redis:// before each) → the nodes; throws on a bad entry. */
export function parseClusterNodes(list: string): ClusterNodeAddress[] {
  const nodes = list
    .split(",")
    .map((s) => s.trim().replace(/^redis:\/\//, "").replace(/\/$/, ""))
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(entry);
      const port = m ? Number(m[2]) : NaN;
      if (!m || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new RedisAddressError(`REDIS_CLUSTER_NODES must be host:port,host:port (one or more of the cluster's nodes), got "${entry}"`);
      }
      return { host: m[1].replace(/^\[|\]$/g, ""), port };
    });
  if (!nodes.length) throw new RedisAddressError("REDIS_CLUSTER_NODES is set but names no node: give host:port,host:port, or unset it to use one Redis at REDIS_URL");
  return nodes;
}

/** The deployment's Redis address from the environment (config.server.ts reads it once per process). */
export function redisAddressFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const nodes = env.REDIS_CLUSTER_NODES?.trim();
  if (nodes) return CLUSTER_SCHEME + parseClusterNodes(nodes).map((n) => `${n.host.includes(":") ? `[${n.host}]` : n.host}:${n.port}`).join(",");
  return env.REDIS_URL || DEFAULT_REDIS_URL;
}

/** The seed nodes of a cluster address, or null for a single Redis' URL. */
export function clusterNodesOf(address: string): ClusterNodeAddress[] | null {
  return address.startsWith(CLUSTER_SCHEME) ? parseClusterNodes(address.slice(CLUSTER_SCHEME.length)) : null;
}

/** True when the environment names a Redis Cluster (REDIS_CLUSTER_NODES set). */
export function clusterModeFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.REDIS_CLUSTER_NODES?.trim());
}
