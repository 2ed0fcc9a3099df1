/**
 * Issue 21, "a node that takes over a shop loads it, it does not rebuild it": two web nodes'
 * live indexes (LiveCatalogs, each with its own DATA_DIR) on one PostgreSQL database with the
 * shared snapshot store (SNAPSHOT_STORE=database). Node A builds a shop from the rows and saves it
 * (publishing it); node B, with an empty DATA_DIR, opens the shop from the store without reading
 * a single product vector from the database, and answers as A does. A damaged stored snapshot is
 * refused, and a fresh node rebuilds from the rows and still answers the same.
 *
 * What proves "without reading": every Product row the node's client reads with its image vector
 * is counted (a Prisma query extension on the node's own client; no component of ours is replaced),
 * and the node's entry counts the rows it loaded (ShopEntry.rowsLoaded, also in its "opened" log line).
 *
 * The second suite does it again with real web processes (server.ts over the build, each its own
 * DATA_DIR and port): node A opens the shop from the rows and publishes its first save; node B
 * answers /proxy/similar as A does after loading the shop from the store (its log: "300 products from
 * its snapshot (store), 0 rows loaded"); with a stored piece damaged, node C rebuilds and answers
 * the same. ~45 s for the file on a busy 2-core box (a fresh database, three web starts, A's 5 s save delay).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../app/embedding/models/model-registry";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import { toBytes } from "../app/embedding/vector-codec";
import type { ShopEntry } from "../app/live-index/live-catalog";
import { LiveCatalogs } from "../app/live-index/live-catalogs.server";
import { DatabaseSnapshotStore } from "../app/live-index/snapshot-store.server";
import { appEnv, ROOT, startWeb, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { syntheticCatalog } from "../scripts/lib/synthetic-catalog";
import { embeddedRows } from "../scripts/lib/synthetic-rows";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "./support/databases";

const IMAGE_DIM = 32;
const PRODUCTS = 600;
const shop = "shared.myshopify.com";
const havePostgres = (await postgresAvailable()) || process.env.REQUIRE_POSTGRES === "1";

function vec(dim: number, seed: number): Uint8Array<ArrayBuffer> {
  const v = new Float32Array(dim).map((_, i) => Math.sin(seed * 7.3 + i * 1.1) + Math.cos(seed * 0.37 * (i + 1)) + 2);
  const n = Math.hypot(...v);
  const bytes = toBytes(v.map((x) => x / n));
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** One PostgreSQL database for both suites below (a fresh one, migrated, takes ~10 s here); each has its own shop. */
let database: TestDatabase;
beforeAll(async () => {
  if (havePostgres) database = await createTestDatabase("postgresql");
}, 120_000);
afterAll(async () => {
  await database?.drop();
});

/** One web node: its own database client (counting the product vectors it reads), DATA_DIR and live index. */
interface Node {
  catalogs: LiveCatalogs;
  vectorRowsRead: () => number;
  close(): Promise<void>;
}

describe.skipIf(!havePostgres)("shared snapshots on PostgreSQL: a node that takes a shop over loads it", () => {
  let seedDb: Db;
  const dirs: string[] = [];

  beforeAll(async () => {
    seedDb = createPrismaClient(database.url);
    await seedDb.shop.create({ data: { domain: shop, catalogVersion: 1 } });
    const now = new Date();
    await seedDb.product.createMany({
      data: Array.from({ length: PRODUCTS }, (_, i) => ({
        shopDomain: shop,
        id: String(1000 + i),
        handle: `p-${i}`,
        title: `Product ${i}`,
        price: 10 + (i % 50),
        priceText: `${10 + (i % 50)}.00`,
        imageUrls: "[]",
        shopifyUpdatedAt: now,
        embedState: "embedded",
        embeddedAt: now,
        modelId: "m",
        imageVector: vec(IMAGE_DIM, i),
        colorVector: vec(COLOR_DIM, i + 0.5),
        textVector: vec(TEXT_DIM, i + 0.25),
      })),
    });
  }, 120_000);

  afterAll(async () => {
    await seedDb?.$disconnect();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function startNode(): Node {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "shared-node-"));
    dirs.push(dataDir);
    const base = createPrismaClient(database.url);
    let vectorRows = 0;
    const counted = base.$extends({
      query: {
        product: {
          async findMany({ args, query }) {
            const rows = await query(args);
            if ((args.select as Record<string, unknown> | undefined)?.imageVector) vectorRows += rows.length;
            return rows;
          },
        },
      },
    }) as unknown as Db;
    const catalogs = new LiveCatalogs({ db: counted, dataDir, imageModelId: "m", imageDim: IMAGE_DIM, store: new DatabaseSnapshotStore(counted, { kind: "postgresql" }) });
    return {
      catalogs,
      vectorRowsRead: () => vectorRows,
      close: async () => {
        await catalogs.close();
        await base.$disconnect();
      },
    };
  }

  /** The similar products of a few products, as the node answers them. */
  async function answers(node: Node): Promise<string[][]> {
    const catalog = await node.catalogs.get(shop);
    return ["1000", "1123", "1377", "1599"].map((id) => catalog.index.searchByProduct(id, { k: 10 }).map((h) => h.id));
  }

  it("B loads A's snapshot from the store without reading a product vector; a damaged one is rebuilt", async () => {
    const a = startNode();
    const started = performance.now();
    const entryA = (await a.catalogs.get(shop)) as ShopEntry;
    expect(entryA.rowsLoaded).toBe(PRODUCTS); // built from the rows
    expect(a.vectorRowsRead()).toBeGreaterThanOrEqual(PRODUCTS); // and the shop's statistics read them too
    await a.catalogs.save(entryA); // the local save, then the publish
    const expected = await answers(a);
    console.log(`[shared-snapshots] A built and published ${PRODUCTS} products in ${Math.round(performance.now() - started)} ms`);
    const head = await seedDb.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    expect(head.catalogVersion).toBe(1);

    const b = startNode();
    const openedB = performance.now();
    const entryB = (await b.catalogs.get(shop)) as ShopEntry;
    console.log(`[shared-snapshots] B opened from the store (${Number(head.bytes)} bytes) in ${Math.round(performance.now() - openedB)} ms`);
    expect(b.vectorRowsRead()).toBe(0);
    expect(entryB.rowsLoaded).toBe(0);
    expect(entryB.index.size).toBe(entryA.index.size);
    expect([...entryB.images.productIds()].length).toBe([...entryA.images.productIds()].length);
    expect([...entryB.cards.keys()].sort()).toEqual([...entryA.cards.keys()].sort());
    expect(await answers(b)).toEqual(expected);

    // A change reaches B as a diff on top of the fetched snapshot: one row, not the shop.
    await seedDb.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "1005" } }, data: { title: "Renamed", price: 99, priceText: "99.00" } });
    await seedDb.shop.update({ where: { domain: shop }, data: { catalogVersion: { increment: 1 } } });
    b.catalogs.markDirty(shop);
    expect((await b.catalogs.get(shop)).cards.get("1005")?.title).toBe("Renamed");
    expect(b.vectorRowsRead()).toBe(1);

    // Damage the stored graph: a fresh node refuses it, rebuilds from the rows, and answers the same.
    const victim = await seedDb.snapshotChunk.findFirstOrThrow({ where: { shop, generation: head.generation, path: { startsWith: "index-" } } });
    const damaged = Buffer.from(victim.data);
    damaged[Math.floor(damaged.length / 2)] ^= 0x5a;
    await seedDb.snapshotChunk.update({
      where: { shop_generation_path_seq: { shop, generation: head.generation, path: victim.path, seq: victim.seq } },
      data: { data: damaged },
    });
    const c = startNode();
    const entryC = (await c.catalogs.get(shop)) as ShopEntry;
    expect(c.vectorRowsRead()).toBeGreaterThanOrEqual(PRODUCTS);
    expect(entryC.rowsLoaded).toBe(PRODUCTS);
    expect(entryC.index.size).toBe(PRODUCTS);
    expect((await c.catalogs.get(shop)).cards.get("1005")?.title).toBe("Renamed");
    const rebuilt = await answers(c);
    // Products 1000, 1123, 1377, 1599 unchanged; 1005's attributes changed, not its vectors.
    expect(rebuilt).toEqual(expected);

    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

const hasBuild = existsSync(path.join(ROOT, "build/server/index.js"));
// `npm test` builds first: in CI a missing build fails here instead of skipping the web-process half.
if (!hasBuild && (process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1")) throw new Error("shared-snapshots: no production build (build/server/index.js); run `npx remix vite:build` or `npm test`");

/**
 * The same on the production entry: real web processes (server.ts), each with its own DATA_DIR,
 * SNAPSHOT_STORE=database, one PostgreSQL database. What each process says it did is its log line
 * `opened <shop>: N products from its snapshot (store|disk|none), M rows loaded from the database`.
 */
describe.skipIf(!havePostgres || !hasBuild)("shared snapshots across web processes (server.ts, PostgreSQL)", () => {
  const SHOP = "shared-web.myshopify.com";
  const N = 300;
  let db: Db;
  const apps: AppEnv[] = [];
  const webs: RunningProcess[] = [];

  beforeAll(async () => {
    db = createPrismaClient(database.url);
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const products = syntheticCatalog({ n: N, dims: { image: spec.dim, color: COLOR_DIM, text: TEXT_DIM }, clusters: 6, seed: 5 });
    await db.shop.create({ data: { domain: SHOP, catalogVersion: 1 } });
    const now = new Date();
    await db.product.createMany({ data: embeddedRows(SHOP, products, { modelId: spec.id, now, imageUrl: (i) => `https://cdn.shopify.com/p${i}.jpg` }) });
  }, 120_000);

  afterAll(async () => {
    for (const w of webs) await w.stop();
    await db?.$disconnect();
    for (const a of apps) await a.cleanup();
  });

  async function node(): Promise<{ app: AppEnv; web: RunningProcess }> {
    const app = await appEnv(database.url, { SNAPSHOT_STORE: "database", SEARCH_CACHE: "0" });
    apps.push(app);
    const web = await startWeb(app);
    webs.push(web);
    return { app, web };
  }

  async function similar(app: AppEnv): Promise<string[][]> {
    const out: string[][] = [];
    for (const id of ["1000", "1042", "1177", "1299"]) {
      const res = await fetch(signedUrl(app.baseUrl, "similar", SHOP, { product_id: id, limit: "10" }));
      expect(res.status).toBe(200);
      out.push(((await res.json()) as { products: { id: string }[] }).products.map((p) => p.id));
    }
    return out;
  }

  const opened = (web: RunningProcess) =>
    web
      .output()
      .match(/opened shared-web\.myshopify\.com: (\d+) products from its snapshot \((\w+)\), (\d+) rows loaded/)
      ?.slice(1);

  it("node B loads the shop node A published, without a rebuild; a damaged one is rebuilt by node C", async () => {
    const a = await node();
    const expected = await similar(a.app);
    expect(opened(a.web)).toEqual(["0", "none", String(N)]);
    // A saves SAVE_DELAY_MS (5 s) after the changes settle, then publishes.
    for (const deadline = Date.now() + 30_000; !(await db.shopSnapshot.findUnique({ where: { shop: SHOP } })) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const head = await db.shopSnapshot.findUniqueOrThrow({ where: { shop: SHOP } });

    const b = await node();
    expect(await similar(b.app)).toEqual(expected);
    expect(opened(b.web)).toEqual([String(N), "store", "0"]);
    expect(b.web.output()).toMatch(/fetched the snapshot of shared-web\.myshopify\.com from the store/);
    await b.web.stop();

    const victim = await db.snapshotChunk.findFirstOrThrow({ where: { shop: SHOP, generation: head.generation, path: { startsWith: "quant-" } } });
    const damaged = Buffer.from(victim.data);
    damaged[7] ^= 0x01;
    await db.snapshotChunk.update({
      where: { shop_generation_path_seq: { shop: SHOP, generation: head.generation, path: victim.path, seq: victim.seq } },
      data: { data: damaged },
    });
    const c = await node();
    expect(await similar(c.app)).toEqual(expected);
    expect(opened(c.web)).toEqual(["0", "none", String(N)]);
    expect(c.web.output()).toMatch(/no stored snapshot of shared-web\.myshopify\.com used \(quant-[\w-]+\.bin: checksum mismatch\)/);
  }, 120_000);
});
