/**
 * The shared snapshot store (app/live-index/snapshot-store.server.ts) on a big shop's snapshot:
 * publish and fetch time, bytes, the process' peak RSS above its level before each, and the
 * longest event-loop block (1 ms interval probe), on a fresh PostgreSQL database.
 *
 *   node --import tsx scripts/bench-snapshot-store.ts [--n 20000] [--cache DIR] [--pg postgresql://root@127.0.0.1:5432/postgres]
 *
 * The snapshot is what a save writes, at the real dimensions: the combined index (image 1280,
 * colour 52, text 512: 1,844-d), the per-photo index (one 1,280-d photo a product) and a sidecar
 * of synthetic cards. The indexes are built with efConstruction 16 (what a save writes does not
 * depend on the graph's quality); `--cache DIR` keeps the snapshot between runs. Figures:
 * docs/decisions/0016-shared-snapshots-in-the-database.md.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createPrismaClient } from "../app/db.server";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { writeSidecar } from "../app/live-index/catalog-sidecar.server";
import { DatabaseSnapshotStore } from "../app/live-index/snapshot-store.server";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import { syntheticProducts } from "./lib/synthetic-catalog";
import { migrateDatabase } from "./setup";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    cache: { type: "string" },
    pg: { type: "string", default: process.env.TEST_POSTGRES_URL ?? "postgresql://root@127.0.0.1:5432/postgres" },
  },
});
const n = Number(values.n);
const shop = "bench.myshopify.com";
const source = values.cache ?? mkdtempSync(path.join(os.tmpdir(), "bench-store-src-"));

if (!existsSync(path.join(source, "catalog.jsonl"))) {
  const t0 = performance.now();
  const dims = { image: 1280, color: COLOR_DIM, text: 512 };
  const combined = new ShopVectorIndex({ dims, weights: { image: 0.6, color: 0.1, text: 0.3 }, efConstruction: 16 });
  const photos = new ShopVectorIndex({ dims: { image: 1280, color: 0, text: 0 }, weights: { image: 1, color: 0, text: 0 }, efConstruction: 16 });
  const ids: string[] = [];
  for (const p of syntheticProducts({ n, dims, clusters: 100, noise: 1.2, seed: 1 })) {
    combined.upsert(p.id, p.vectors, p.attrs);
    photos.upsert(`${p.id}#0`, { image: p.vectors.image }, p.attrs);
    ids.push(p.id);
  }
  await combined.save(source);
  await photos.save(path.join(source, "images"));
  const cards = ids.map((id, i) => ({
    id,
    handle: `product-${i}`,
    title: `Product ${i} in a plausible length`,
    priceText: `${(i % 300) + 9}.99`,
    currency: "USD",
    image: `https://cdn.shopify.com/s/files/1/0000/0001/products/p-${i}.jpg?v=1700000000`,
    available: true,
    vendor: `Vendor ${i % 40}`,
  }));
  await writeSidecar(source, { imageModelId: "bench", version: 1, imageMean: null, facets: [], facetsCount: 0, facetShares: [], rows: { ids, versions: ids.map(() => 1), cards } });
  console.log(`built a ${n}-product snapshot in ${((performance.now() - t0) / 1000).toFixed(1)} s (${source})`);
}

/** Runs `work`, probing the event loop every 1 ms and the RSS every 20 ms. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; blockMs: number; rssUpMb: number }> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let last = performance.now();
  let worst = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  const rss = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  clearInterval(probe);
  clearInterval(rss);
  return { result, ms, blockMs: worst, rssUpMb: (peak - rss0) / 1e6 };
}

const name = `lookalike_bench_store_${process.pid}`;
const admin = new pg.Client({ connectionString: values.pg });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(values.pg);
url.pathname = `/${name}`;
const target = mkdtempSync(path.join(os.tmpdir(), "bench-store-dst-"));
try {
  await migrateDatabase(url.toString());
  const db = createPrismaClient(url.toString());
  await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
  const store = new DatabaseSnapshotStore(db, { kind: "postgresql" });
  for (let round = 1; round <= 2; round++) {
    const pub = await measure(() => store.publish(shop, source));
    console.log(
      `publish ${round}: ${pub.result.files} files, ${(pub.result.bytes / 1e6).toFixed(1)} MB in ${(pub.ms / 1000).toFixed(2)} s ` +
        `(${(pub.result.bytes / 1e6 / (pub.ms / 1000)).toFixed(0)} MB/s), peak RSS +${pub.rssUpMb.toFixed(0)} MB, longest block ${pub.blockMs.toFixed(0)} ms`,
    );
    rmSync(target, { recursive: true, force: true });
    const got = await measure(() => store.fetch(shop, target));
    if (got.result.status !== "fetched") throw new Error(`fetch: ${JSON.stringify(got.result)}`);
    console.log(
      `fetch ${round}: ${got.result.files} files, ${(got.result.bytes / 1e6).toFixed(1)} MB in ${(got.ms / 1000).toFixed(2)} s ` +
        `(${(got.result.bytes / 1e6 / (got.ms / 1000)).toFixed(0)} MB/s), peak RSS +${got.rssUpMb.toFixed(0)} MB, longest block ${got.blockMs.toFixed(0)} ms`,
    );
  }
  const size = await admin.query(`SELECT pg_database_size('${name}') AS bytes`);
  console.log(`database size after two publishes (one generation kept): ${(Number(size.rows[0].bytes) / 1e6).toFixed(0)} MB`);
  await db.$disconnect();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
  rmSync(target, { recursive: true, force: true });
  if (!values.cache) rmSync(source, { recursive: true, force: true });
}
