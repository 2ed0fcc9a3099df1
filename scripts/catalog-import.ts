/**
 * npm run catalog:import -- --shop <name>.myshopify.com --file <catalog.jsonl> [--wait] [--timeout <seconds>]
 * Imports a catalog file for a shop and enqueues embedding; with --wait, shows progress until every
 * product is searchable and prints a one-line JSON summary on stdout.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { importCatalogFile } from "../app/catalog/catalog-import.server";
import { normalizeShopDomain, ShopDomainError } from "../app/catalog/shop-domain";
import { expectedVectorModels } from "../app/catalog/expected-models.server";
import { CatalogWaitTimeout, waitForCatalog } from "../app/catalog/wait-for-catalog.server";
import { config } from "../app/config.server";
import { db } from "../app/db.server";
import { preflight } from "../app/preflight.server";
import { createBullConnection, createRedis } from "../app/redis.server";
import { createEmbedQueue } from "../app/queues/queues.server";
import { log, runMain, UserFacingError } from "../app/shared/cli.server";
import { createProgressLine } from "./lib/progress";

const USAGE = "usage: npm run catalog:import -- --shop <name>.myshopify.com --file <catalog.jsonl> [--wait] [--timeout <seconds>]";

export async function main(argv = process.argv.slice(2)) {
  let args;
  try {
    args = parseArgs({ args: argv, options: { shop: { type: "string" }, file: { type: "string" }, wait: { type: "boolean" }, timeout: { type: "string" } } }).values;
  } catch (err) {
    throw new UserFacingError(`${(err as Error).message}\n${USAGE}`);
  }
  if (!args.shop || !args.file) throw new UserFacingError(USAGE);
  let shop: string;
  try {
    shop = normalizeShopDomain(args.shop);
  } catch (err) {
    throw new UserFacingError((err as ShopDomainError).message);
  }
  if (!existsSync(args.file)) throw new UserFacingError(`catalog file not found: ${args.file}`);
  const cfg = config();
  await preflight(cfg);

  const started = Date.now();
  const connection = createBullConnection(cfg.redisUrl);
  const publisher = createRedis(cfg.redisUrl);
  const queue = createEmbedQueue(connection);
  try {
    const summary = await importCatalogFile({ db: db(), queue, publisher }, shop, args.file);
    log(`read ${summary.products} products for ${shop} (${summary.created} new, ${summary.updated} changed, ${summary.unchanged} unchanged); ${summary.enqueued} queued for embedding`);
    for (const r of summary.rejected.slice(0, 10)) log(`  line ${r.line} skipped: ${r.reason}`);
    if (summary.rejected.length > 10) log(`  ... and ${summary.rejected.length - 10} more skipped lines`);
    if (!args.wait) {
      process.stdout.write(JSON.stringify({ products: summary.products, enqueued: summary.enqueued, rejected: summary.rejected.length, runId: summary.runId }) + "\n");
      return;
    }
    const progress = createProgressLine("embedding");
    const counts = await waitForCatalog(db(), shop, {
      timeoutMs: Number(args.timeout ?? 1800) * 1000,
      // Searchable: embedded with the models the workers run (a model change re-embeds everything).
      models: expectedVectorModels(cfg),
      onProgress: (c) => progress.update(c.embedded + c.failed, c.products, c.failed ? `(${c.failed} failed)` : ""),
    }).catch((err) => {
      progress.end();
      if (err instanceof CatalogWaitTimeout) throw new UserFacingError(err.message);
      throw err;
    });
    progress.end();
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    process.stdout.write(JSON.stringify({ products: counts.products, embedded: counts.embedded, failed: counts.failed, seconds }) + "\n");
  } finally {
    await queue.close();
    connection.disconnect();
    publisher.disconnect();
    await db().$disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(main);
