/**
 * Deletes every key of one Redis namespace (`<namespace>:*`, BullMQ queues included): what a test
 * run or a benchmark leaves behind. Never fails: a Redis that is gone (a test's private Redis,
 * stopped already) has nothing left to clean. `redisUrl` may name a Redis Cluster
 * (app/redis-address.ts): every master is scanned, and the queues' hash-tagged keys
 * (`{<namespace>:…}`) are deleted too.
 */
import { connectOnce, createOneShotRedis, scanKeys, unlinkKeys } from "../../app/redis.server";

export async function deleteNamespaceKeys(redisUrl: string, namespace: string): Promise<number> {
  if (!namespace || /[*?[\]]/.test(namespace)) throw new Error(`refusing to delete the keys of namespace ${JSON.stringify(namespace)}`);
  const client = createOneShotRedis(redisUrl, 1_000);
  let deleted = 0;
  try {
    await connectOnce(client, 1_000);
    for (const pattern of [`${namespace}:*`, `{${namespace}:*`]) {
      for await (const keys of scanKeys(client, pattern, 1_000)) deleted += await unlinkKeys(client, keys);
    }
  } catch {
    // Redis unreachable: nothing to do.
  } finally {
    client.disconnect();
  }
  return deleted;
}
