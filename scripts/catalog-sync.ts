/**
 * npm run catalog:sync -- --shop <name>.myshopify.com [--wait] [--timeout <seconds>]
 * Starts a full catalog sync from Shopify (Admin API bulk operation) for an installed shop — the
 * same sync that runs on install; with --wait, shows progress and prints a JSON summary.
 */
import { parseArgs } from "node:util";
import { startFullSync } from "../app/catalog/bulk-sync.server";
import { normalizeShopDomain } from "../app/catalog/shop-domain";
import { waitForSyncRun } from "../app/catalog/wait-for-sync-run.server";
import { config } from "../app/config.server";
import { db } from "../app/db.server";
import { preflight } from "../app/preflight.server";
import { createBullConnection } from "../app/redis.server";
import { NotInstalledError, offlineAccessToken } from "../app/shopify/offline-token.server";
import { createSyncQueue } from "../app/queues/queues.server";
import { log, runMain, UserFacingError } from "../app/shared/cli.server";
import { createProgressLine } from "./lib/progress";

const USAGE = "usage: npm run catalog:sync -- --shop <name>.myshopify.com [--wait] [--timeout <seconds>]";

export async function main(argv = process.argv.slice(2)) {
  let args;
  try {
    args = parseArgs({ args: argv, options: { shop: { type: "string" }, wait: { type: "boolean" }, timeout: { type: "string" } } }).values;
  } catch (err) {
    throw new UserFacingError(`${(err as Error).message}\n${USAGE}`);
  }
  if (!args.shop) throw new UserFacingError(USAGE);
  let shop: string;
  try {
    shop = normalizeShopDomain(args.shop);
    await offlineAccessToken(db(), shop);
  } catch (err) {
    throw new UserFacingError(err instanceof NotInstalledError ? `${(err as Error).message}. Install it first.` : (err as Error).message);
  }
  const cfg = config();
  await preflight(cfg);
  const connection = createBullConnection(cfg.redisUrl);
  const syncQueue = createSyncQueue(connection);
  const started = Date.now();
  try {
    const runId = await startFullSync({ db: db(), syncQueue }, shop);
    log(`full sync ${runId} started for ${shop}`);
    if (!args.wait) {
      process.stdout.write(JSON.stringify({ runId }) + "\n");
      return;
    }
    const progress = createProgressLine("sync");
    const { run, counts } = await waitForSyncRun(db(), runId, {
      timeoutMs: Number(args.timeout ?? 3600) * 1000,
      onProgress: (p) =>
        p.phase === "embedding" || p.phase === "done"
          ? progress.update(p.counts.embedded + p.counts.failed, p.counts.products, "embedding")
          : progress.update(0, Math.max(p.total, 1), p.phase === "reading" ? `reading ${p.counts.products} products` : p.phase === "running" ? `Shopify is exporting (${p.total} objects)` : p.phase),
    }).finally(() => progress.end());
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (run.phase === "failed") throw new UserFacingError(`sync failed: ${run.message}`);
    process.stdout.write(JSON.stringify({ products: counts.products, embedded: counts.embedded, failed: counts.failed, seconds }) + "\n");
  } finally {
    await syncQueue.close();
    connection.disconnect();
    await db().$disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(main);
