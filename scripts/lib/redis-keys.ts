/**
 * Deletes every key of one Redis namespace (`<namespace>:*`, BullMQ queues included): what a test
 * run or a benchmark leaves behind. Never fails: a Redis that is gone (a test's private Redis,
 * stopped already) has nothing left to clean.
 */
import { Redis } from "ioredis";

export async function deleteNamespaceKeys(redisUrl: string, namespace: string): Promise<number> {
  if (!namespace || /[*?[\]]/.test(namespace)) throw new Error(`refusing to delete the keys of namespace ${JSON.stringify(namespace)}`);
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on("error", () => {});
  let deleted = 0;
  try {
    await client.connect();
    for await (const keys of client.scanStream({ match: `${namespace}:*`, count: 1_000 }) as AsyncIterable<string[]>) {
      if (keys.length) deleted += await client.unlink(...keys);
    }
  } catch {
    // Redis unreachable: nothing to do.
  } finally {
    client.disconnect();
  }
  return deleted;
}
