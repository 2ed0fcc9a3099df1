/**
 * Tells web processes that a shop's searchable catalog changed. The database stays the source
 * of truth (Shop.catalogVersion); this pub/sub message only makes the change visible at once.
 * Web processes also re-check the version on a timer and after a reconnect, so a lost message
 * delays a change by at most that interval and never loses it.
 *
 * On a Redis Cluster (REDIS_CLUSTER_NODES) classic PUBLISH/SUBSCRIBE works as on one Redis: a
 * message published on any node is broadcast over the cluster bus to every node, and the
 * subscriber, whichever node it is connected to, receives it. One channel, so no slot question.
 */
import { Cluster } from "ioredis";
import { createRedis, redisNamespace, type RedisClient } from "../redis.server";

export const catalogChannel = () => `${redisNamespace()}:catalog-changed`;

export async function publishCatalogChange(redis: Pick<RedisClient, "publish">, shop: string, version: number): Promise<void> {
  // `at`: when it was published (ms), for the change-lag metric of the web processes.
  await redis.publish(catalogChannel(), JSON.stringify({ shop, version, at: Date.now() }));
}

export interface CatalogSubscription {
  close(): Promise<void>;
}

export function subscribeCatalogChanges(
  redisUrl: string,
  handlers: { onChange: (shop: string, version: number, publishedAt?: number) => void; onReconnect: () => void },
): CatalogSubscription {
  // Named, so `CLIENT LIST` tells an operator (and a test) which connection holds the subscription.
  const connectionName = `${catalogChannel()}:${process.pid}`.replace(/\s/g, "_");
  const sub = createRedis(redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: false, connectionName });
  let connectedOnce = false;
  sub.on("error", () => {}); // reconnects on its own; the periodic version check covers the gap
  sub.on("ready", () => {
    if (connectedOnce) handlers.onReconnect();
    connectedOnce = true;
  });
  // A cluster's subscription lives on one node; when a node leaves (a master killed, a failover)
  // ioredis moves it to another and subscribes again, without a new "ready": the messages of the
  // gap are covered like a reconnect's.
  if (sub instanceof Cluster) sub.on("-node", () => connectedOnce && handlers.onReconnect());
  void sub.subscribe(catalogChannel()).catch(() => {});
  sub.on("message", (_channel, message) => {
    try {
      const { shop, version, at } = JSON.parse(message) as { shop: string; version: number; at?: unknown };
      if (typeof shop === "string") handlers.onChange(shop, Number(version), typeof at === "number" && Number.isFinite(at) ? at : undefined);
    } catch {
      /* not ours */
    }
  });
  return { close: async () => void sub.disconnect() };
}
