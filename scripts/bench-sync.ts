/**
 * npx tsx scripts/bench-sync.ts [--products 10000] [--db sqlite|postgresql]
 * Catalog sync benchmark: a generated catalog served by the local fake Admin API (images over
 * HTTP), synced by ONE worker process (default model, WORKER_CONCURRENCY as configured) into a
 * fresh database, until every product is searchable. Prints products/s and the worker's peak RSS,
 * and the bulk-JSONL parsing rate on the same file.
 */
import { readFileSync } from "node:fs";
import { createReadStream } from "node:fs";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { assembleBulkProducts } from "../app/catalog/bulk-products";
import { parseProductNode } from "../app/catalog/product-node";
import { createPrismaClient } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { FakeAdminApi } from "../test/fake-shopify/fake-admin-api";
import { createTestDatabase } from "../test/support/databases";
import { appEnv, runCli, startWorker } from "./lib/app-processes";
import { generateCatalog } from "./lib/generated-catalog";

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main() {
  const args = parseArgs({ options: { products: { type: "string", default: "10000" }, db: { type: "string", default: "sqlite" } } }).values;
  const n = Number(args.products);
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-sync-"));
  process.stderr.write(`generating ${n} products...\n`);
  const catalog = await generateCatalog(dir, n);
  const token = "bench-token";
  const fake = new FakeAdminApi({ catalogFile: catalog, accessToken: token, bulkDurationMs: 100, bucket: { maximumAvailable: 2_000, restoreRate: 100 } });
  await fake.start();
  const database = await createTestDatabase(args.db as "sqlite" | "postgresql");
  const db = createPrismaClient(database.url);
  const shop = "bench-sync.myshopify.com";
  await ensureDemoShop(db, shop, ["read_products"]);
  await db.session.update({ where: { id: `offline_${shop}` }, data: { accessToken: token } });
  const app = await appEnv(database.url, fake.appEnv());
  const worker = await startWorker(app);
  try {
    const started = Date.now();
    const res = await runCli(["scripts/catalog-sync.ts", "--shop", shop, "--wait", "--timeout", "7200"], app.env, 7_200_000);
    const seconds = (Date.now() - started) / 1000;
    if (res.code !== 0) throw new Error(res.stderr);
    const summary = JSON.parse(res.stdout.trim().split("\n").pop()!);
    const rss = peakRssMb(worker.child.pid!);

    // JSONL parsing alone, on the bulk result the fake produced.
    const bulkFile = path.join((fake as unknown as { dir: string }).dir, "1.jsonl");
    let lines = 0;
    const t0 = process.hrtime.bigint();
    const input = createInterface({ input: createReadStream(bulkFile), crlfDelay: Infinity });
    async function* counted() {
      for await (const l of input) {
        lines++;
        yield l;
      }
    }
    for await (const item of assembleBulkProducts(counted())) if (item.kind === "product") parseProductNode(item.product.node);
    const parseSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    const result = {
      products: summary.products,
      embedded: summary.embedded,
      failed: summary.failed,
      seconds: Math.round(seconds * 10) / 10,
      productsPerSecond: Math.round((summary.embedded / seconds) * 10) / 10,
      workerConcurrency: Number(app.env.WORKER_CONCURRENCY ?? 8),
      workerPeakRssMb: Math.round(rss),
      jsonlLines: lines,
      jsonlLinesPerSecond: Math.round(lines / parseSeconds),
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
    console.log(`sync: ${result.embedded}/${result.products} products searchable in ${result.seconds} s = ${result.productsPerSecond} products/s (1 worker, concurrency ${result.workerConcurrency}); worker peak RSS ${result.workerPeakRssMb} MB`);
    console.log(`jsonl: ${lines} lines parsed + assembled + mapped in ${parseSeconds.toFixed(2)} s = ${result.jsonlLinesPerSecond} lines/s`);
    console.log(JSON.stringify(result));
  } finally {
    await worker.stop();
    await fake.stop();
    await db.$disconnect();
    await database.drop();
    await app.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
