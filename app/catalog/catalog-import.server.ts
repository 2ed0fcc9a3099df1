/**
 * Operator import of a catalog file (JSONL of Admin GraphQL Product nodes): upserts the shop and
 * its products, then enqueues embedding for what changed. Image URLs may be absolute (http(s),
 * file:) or relative to the catalog file; relative ones become file: URLs, which only this
 * operator path may use.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Queue } from "bullmq";
import type { Db } from "../db.server";
import type { EmbedJobData } from "../queues/queues.server";
import { CatalogWriter } from "./catalog-writer.server";
import { readJsonl } from "./jsonl-reader.server";
import { parseProductNode, ProductNodeError } from "./product-node";
import { ensureShop } from "./product-repository.server";
import { startSyncRun } from "./sync-runs.server";
import type { RedisClient } from "../redis.server";

export interface ImportDeps {
  db: Db;
  queue: Queue<EmbedJobData>;
  publisher: RedisClient;
}

export interface ImportSummary {
  runId: string;
  products: number;
  created: number;
  updated: number;
  unchanged: number;
  enqueued: number;
  rejected: { line: number; reason: string }[];
}

export function resolveImageUrl(url: string, catalogDir: string): string {
  if (/^(https?|file):/i.test(url)) return url;
  return pathToFileURL(path.resolve(catalogDir, url)).href;
}

export async function importCatalogFile(deps: ImportDeps, shop: string, file: string, onRead?: (count: number) => void): Promise<ImportSummary> {
  const { db } = deps;
  await ensureShop(db, shop);
  const runId = await startSyncRun(db, shop, "import");
  const dir = path.dirname(path.resolve(file));
  const summary: ImportSummary = { runId, products: 0, created: 0, updated: 0, unchanged: 0, enqueued: 0, rejected: [] };
  const writer = new CatalogWriter({ db, queue: deps.queue, publisher: deps.publisher }, shop, runId, "import");

  for await (const { line, value, error } of readJsonl(file)) {
    if (error) {
      summary.rejected.push({ line, reason: error });
      continue;
    }
    let record;
    try {
      record = parseProductNode(value);
    } catch (err) {
      if (!(err instanceof ProductNodeError)) throw err;
      summary.rejected.push({ line, reason: err.message });
      continue;
    }
    record.imageUrls = record.imageUrls.map((u) => resolveImageUrl(u, dir));
    const outcome = await writer.write(record);
    if (outcome.action === "deleted" || outcome.action === "stale") {
      summary.rejected.push({ line, reason: outcome.action === "deleted" ? `product ${record.id} was deleted` : `product ${record.id} is older than the stored one` });
      continue;
    }
    summary[outcome.action]++;
    onRead?.(writer.products);
  }
  await writer.finish();
  summary.products = writer.products;
  summary.enqueued = writer.enqueued;
  return summary;
}
