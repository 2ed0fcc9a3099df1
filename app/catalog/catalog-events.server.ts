/**
 * Tells web processes that a shop's searchable catalog changed. The database stays the source
 * of truth (Shop.catalogVersion); this pub/sub message only makes the change visible at once.
 * Web processes also re-check the version on a timer and after a reconnect, so a lost message
 * delays a change by at most that interval and never loses it.
 */
import type { Redis } from "ioredis";
import { createRedis, redisNamespace } from "../redis.server";

export const catalogChannel = () => `${redisNamespace()}:catalog-changed`;

export async function publishCatalogChange(redis: Pick<Redis, "publish">, shop: string, version: number): Promise<void> {
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
  const sub = createRedis(redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: false });
  let connectedOnce = false;
  sub.on("error", () => {}); // reconnects on its own; the periodic version check covers the gap
  sub.on("ready", () => {
    if (connectedOnce) handlers.onReconnect();
    connectedOnce = true;
  });
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
