/**
 * Redis connections, built here and nowhere else: one Redis (REDIS_URL) or, when
 * REDIS_CLUSTER_NODES is set, an ioredis Cluster (app/redis-address.ts reads which). Callers get a
 * RedisClient and do not care which. BullMQ needs `maxRetriesPerRequest: null` on worker
 * connections; other clients fail fast so a missing Redis surfaces as one clear error rather than
 * a hang.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { clusterNodesOf, type ClusterNodeAddress } from "./redis-address";
import { moduleLogger } from "./logging/logger.server";

const log = moduleLogger("redis");

/** One Redis or a Redis Cluster: every command we use (single-key, pub/sub, Lua, BullMQ) works on both. */
export type RedisClient = Redis | Cluster;

export class RedisUnavailableError extends Error {}

/**
 * Prefix of every Redis key and channel we use (BullMQ queues included), from REDIS_NAMESPACE.
 * Lets several deployments or test runs share one Redis without seeing each other's jobs.
 */
export function redisNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_NAMESPACE || "lookalike";
}

const nodeList = (nodes: ClusterNodeAddress[]) => nodes.map((n) => `${n.host}:${n.port}`).join(",");

export function redisHowTo(url: string): string {
  const nodes = clusterNodesOf(url);
  if (nodes) {
    return (
      `Redis Cluster is not reachable or not ok at ${nodeList(nodes)} (REDIS_CLUSTER_NODES). Start its nodes and check that ` +
      `\`redis-cli -h ${nodes[0].host} -p ${nodes[0].port} cluster info\` says cluster_state:ok, or unset REDIS_CLUSTER_NODES to use one Redis at REDIS_URL.`
    );
  }
  return (
    `Redis is not reachable at ${url}. Start one with: redis-server --daemonize yes --save "" --appendonly no ` +
    `(Debian: sudo apt-get install -y redis-server), or set REDIS_URL to a running Redis.`
  );
}

const lastReported = new Map<string, number>();
/**
 * ioredis reconnects on its own after Redis goes away; without an "error" listener it prints a
 * stack trace for every failed attempt. One line per Redis (or cluster) per 10 s says the same.
 */
export function reportRedisErrors<C extends RedisClient>(client: C, url: string): C {
  const report = (err: Error & { code?: string }, node?: string) => {
    const key = redactRedisUrl(url);
    if (Date.now() - (lastReported.get(key) ?? 0) < 10_000) return;
    lastReported.set(key, Date.now());
    log.error(`Redis${client instanceof Cluster ? " Cluster" : ""} at ${key}${node ? ` (node ${node})` : ""}: ${err.code ?? err.message}; reconnecting`);
  };
  client.on("error", (err: Error & { code?: string }) => report(err));
  // A cluster also reports each node's errors (a master killed, a failover under way).
  if (client instanceof Cluster) client.on("node error", (err: Error & { code?: string }, node: string) => report(err, node));
  return client;
}

function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

/**
 * A cluster client: slots refreshed from any seed node, commands retried across a failover
 * (MOVED/ASK/TRYAGAIN/CLUSTERDOWN) rather than failed, and reconnects that never give up.
 * `redisOptions` apply to each node's connection.
 */
function clusterClient(nodes: ClusterNodeAddress[], redisOptions: RedisOptions, options: ClusterOptions = {}): Cluster {
  return new Cluster(nodes, {
    redisOptions,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2_000,
    // The slot map is re-read every 5 s even by a client that sends nothing (the change
    // subscriber): a node that died is dropped from the pool ("-node") within seconds.
    slotsRefreshInterval: 5_000,
    ...options,
  });
}

export function createRedis(url: string, opts: RedisOptions = {}): RedisClient {
  const nodes = clusterNodesOf(url);
  if (nodes) {
    const { enableAutoPipelining = true, lazyConnect = false, ...nodeOptions } = opts;
    return reportRedisErrors(clusterClient(nodes, nodeOptions, { enableAutoPipelining, lazyConnect }), url);
  }
  return reportRedisErrors(new Redis(url, { lazyConnect: false, enableAutoPipelining: true, ...opts }), url);
}

/**
 * The longest the storefront waits for Redis (its result cache and rate limits) before it answers
 * without it: a cache read that times out is a miss, a rate-limit check falls back to the process'
 * own memory. Without it a silent partition (connection open, no answer: packets dropped) held
 * every storefront request until TCP gave up (up to 7.5 s in test/redis-partition.test.ts); a
 * refused or reset connection never waits (commands are not sent while it is not ready). Decision 17.
 */
export const STOREFRONT_REDIS_TIMEOUT_MS = 250;

/** The storefront's client: `createRedis` with each command bounded by STOREFRONT_REDIS_TIMEOUT_MS. */
export function createStorefrontRedis(url: string): RedisClient {
  return createRedis(url, { commandTimeout: STOREFRONT_REDIS_TIMEOUT_MS });
}

/** For BullMQ Queue/Worker/QueueEvents. */
export function createBullConnection(url: string): RedisClient {
  const nodes = clusterNodesOf(url);
  // A command caught by a failover is sent again once the slots moved: every 300 ms for up to
  // ~30 s here (a failover takes cluster-node-timeout plus about a second), so a job's completion
  // lands on the promoted replica instead of failing and leaving the job to be run again.
  if (nodes)
    return reportRedisErrors(
      clusterClient(nodes, { maxRetriesPerRequest: null }, { enableReadyCheck: true, retryDelayOnFailover: 300, retryDelayOnClusterDown: 300, maxRedirections: 100 }),
      url,
    );
  return reportRedisErrors(new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true }), url);
}

/**
 * A client for one short task (a check, a clean-up): connects when asked, never retries, reports
 * nothing (the caller says what went wrong). Connect it with `connectOnce`.
 */
export function createOneShotRedis(url: string, timeoutMs = 2_000): RedisClient {
  const nodes = clusterNodesOf(url);
  const client: RedisClient = nodes
    ? new Cluster(nodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: timeoutMs,
        redisOptions: { maxRetriesPerRequest: 0, connectTimeout: timeoutMs },
      })
    : new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on("error", () => {});
  if (client instanceof Cluster) client.on("node error", () => {});
  return client;
}

/**
 * Connects a one-shot client and checks it can serve: PING, and on a cluster `cluster_state:ok`
 * (every slot served). Rejects within about twice `timeoutMs`.
 */
export async function connectOnce(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), timeoutMs * 2);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        if (client instanceof Cluster && !/cluster_state:ok/.test(String(await client.cluster("INFO")))) throw new Error("cluster_state is not ok");
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves when Redis answers PING (a cluster: every slot served, `cluster_state:ok`); otherwise
 * throws RedisUnavailableError with what to do.
 */
export async function checkRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const client = createOneShotRedis(url, timeoutMs);
  try {
    await connectOnce(client, timeoutMs);
  } catch {
    throw new RedisUnavailableError(redisHowTo(redactRedisUrl(url)));
  } finally {
    client.disconnect();
  }
}

/**
 * Every key matching `pattern`, in batches: SCAN on the one Redis, or on each master of a cluster
 * (a cluster's SCAN sees one node's keys only). For rare, bounded clean-ups, never a request path.
 */
export async function* scanKeys(client: RedisClient, pattern: string, count = 500): AsyncGenerator<string[]> {
  const servers = client instanceof Cluster ? client.nodes("master") : [client];
  for (const server of servers) {
    for await (const keys of server.scanStream({ match: pattern, count }) as AsyncIterable<string[]>) {
      if (keys.length) yield keys;
    }
  }
}

/**
 * Deletes keys (UNLINK) that may lie in different slots: one command per key on a cluster (a
 * multi-key command there must hash to one slot; auto-pipelining batches them), one command on
 * the one Redis. Returns how many existed.
 */
export async function unlinkKeys(client: RedisClient, keys: string[]): Promise<number> {
  if (!keys.length) return 0;
  if (!(client instanceof Cluster)) return client.unlink(...keys);
  const counts = await Promise.all(keys.map((k) => client.unlink(k)));
  return counts.reduce((a, b) => a + b, 0);
}
