import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { bumpCatalogVersion, deleteShopData } from "../catalog/product-repository.server";
import { createPrismaClient, type Db } from "../db.server";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { TEXT_DIM } from "../embedding/text/text-vector";
import { HASHED_TEXT_MODEL_ID } from "../embedding/vector-versions";
import { toBytes } from "../embedding/vector-codec";
import { DEFAULT_GRAPH } from "../search/shop-vector-index.server";
import { readSidecarVersion } from "./catalog-sidecar.server";
import { DEFAULT_WEIGHTS } from "./live-catalog";
import { LiveCatalogs } from "./live-catalogs.server";
import { readSnapshot, snapshotDir } from "./snapshot-files.server";
import { DatabaseSnapshotStore } from "./snapshot-store.server";

const kinds = await databaseKinds();
const IMAGE_DIM = 8;
const spec = { imageModelId: "m", imageDim: IMAGE_DIM, textModelId: HASHED_TEXT_MODEL_ID, textDim: TEXT_DIM, weights: DEFAULT_WEIGHTS, graph: DEFAULT_GRAPH, projection: null };

function vec(dim: number, seed: number): Uint8Array<ArrayBuffer> {
  const v = new Float32Array(dim).map((_, i) => Math.sin(seed * 7 + i) + 1.5);
  const n = Math.hypot(...v);
  const bytes = toBytes(v.map((x) => x / n));
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** Every file under `dir` (relative path → bytes). */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, full), readFileSync(full));
  }
  return out;
}

describe.each(kinds)("DatabaseSnapshotStore on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;
  let tmp: string;
  // Small pieces: every file of the snapshot spans several rows.
  let store: DatabaseSnapshotStore;
  const shop = "stored.myshopify.com";

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    store = new DatabaseSnapshotStore(db, { kind, chunkBytes: 4096 });
    tmp = mkdtempSync(path.join(os.tmpdir(), "snapshot-store-"));
    await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
    const now = new Date();
    await db.product.createMany({
      data: Array.from({ length: 40 }, (_, i) => ({
        shopDomain: shop,
        id: String(100 + i),
        handle: `p-${i}`,
        title: `Product ${i}`,
        price: 10 + i,
        priceText: `${10 + i}.00`,
        imageUrls: "[]",
        shopifyUpdatedAt: now,
        embedState: "embedded",
        embeddedAt: now,
        modelId: "m",
        imageVector: vec(IMAGE_DIM, i),
        colorVector: vec(COLOR_DIM, i),
        textVector: vec(TEXT_DIM, i),
      })),
    });
  }, 60_000);

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A node with its own DATA_DIR publishing to the store; opens the shop and saves it. */
  async function saveOn(dataDir: string): Promise<void> {
    const node = new LiveCatalogs({ db, dataDir, imageModelId: "m", imageDim: IMAGE_DIM, store });
    await node.save(await node.get(shop));
    await node.close();
  }

  it("publishes a saved snapshot, and fetches it byte for byte into an empty directory", async () => {
    const a = path.join(tmp, "a");
    await saveOn(a);
    const head = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    expect(head.catalogVersion).toBe(1);
    const stored = await db.snapshotFile.findMany({ where: { shop } });
    expect(stored.map((f) => f.path).sort()).toEqual([...filesOf(snapshotDir(a, shop)).keys()].sort());
    expect(stored.some((f) => f.chunks > 1)).toBe(true);

    const b = path.join(tmp, "b");
    const fetched = await store.fetch(shop, snapshotDir(b, shop));
    expect(fetched.status).toBe("fetched");
    expect(filesOf(snapshotDir(b, shop))).toEqual(filesOf(snapshotDir(a, shop)));
    expect((await readSnapshot(spec, b, shop))?.cards.size).toBe(40);
    // As new as the store's: nothing downloaded.
    expect(await store.fetch(shop, snapshotDir(b, shop))).toEqual({ status: "current" });
  });

  it("keeps one generation: a new publish replaces the old one", async () => {
    await bumpCatalogVersion(db, shop);
    await saveOn(path.join(tmp, "a"));
    const head = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    expect(head.catalogVersion).toBe(2);
    const generations = await db.snapshotFile.groupBy({ by: ["generation"], where: { shop } });
    expect(generations.map((g) => g.generation)).toEqual([head.generation]);
    const chunkGenerations = await db.snapshotChunk.groupBy({ by: ["generation"], where: { shop } });
    expect(chunkGenerations.map((g) => g.generation)).toEqual([head.generation]);
  });

  it("an older snapshot (another node's, while the shop moves) does not replace the newer one stored", async () => {
    const before = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    await expect(store.publish(shop, snapshotDir(path.join(tmp, "b"), shop))).rejects.toThrow(/newer snapshot/);
    expect(await db.shopSnapshot.findUniqueOrThrow({ where: { shop } })).toEqual(before);
    const generations = await db.snapshotFile.groupBy({ by: ["generation"], where: { shop } });
    expect(generations.map((g) => g.generation)).toEqual([before.generation]);
  });

  it("a damaged piece reads as none, and leaves the older local snapshot as it was", async () => {
    // b holds the version-1 snapshot; the store holds version 2.
    const b = snapshotDir(path.join(tmp, "b"), shop);
    expect(await readSidecarVersion(b)).toBe(1);
    const before = filesOf(b);
    const head = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    const victim = await db.snapshotChunk.findFirstOrThrow({ where: { shop, generation: head.generation, path: { startsWith: "index-" }, seq: 1 } });
    const damaged = Buffer.from(victim.data);
    damaged[100] ^= 0xff;
    const key = { shop_generation_path_seq: { shop, generation: head.generation, path: victim.path, seq: 1 } };
    await db.snapshotChunk.update({ where: key, data: { data: damaged } });

    const fetched = await store.fetch(shop, b);
    expect(fetched).toMatchObject({ status: "none", reason: expect.stringContaining("checksum") });
    expect(filesOf(b)).toEqual(before); // no temporary left, nothing replaced
    expect((await readSnapshot(spec, path.join(tmp, "b"), shop))?.cards.size).toBe(40);
    await db.snapshotChunk.update({ where: key, data: { data: victim.data } });
  });

  it("a fetch cut short (a piece gone mid-file) reads as none and leaves the local snapshot usable", async () => {
    const b = snapshotDir(path.join(tmp, "b"), shop);
    const before = filesOf(b);
    const head = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    const last = await db.snapshotChunk.findFirstOrThrow({ where: { shop, generation: head.generation, path: { startsWith: "quant-" } }, orderBy: { seq: "desc" } });
    await db.snapshotChunk.delete({ where: { shop_generation_path_seq: { shop, generation: head.generation, path: last.path, seq: last.seq } } });

    expect(await store.fetch(shop, b)).toMatchObject({ status: "none", reason: expect.stringContaining("missing") });
    expect(filesOf(b)).toEqual(before);
    expect((await readSnapshot(spec, path.join(tmp, "b"), shop))?.cards.size).toBe(40);
    await db.snapshotChunk.create({ data: last });
    // Whole again: fetched over the older local snapshot, whose files are removed.
    expect((await store.fetch(shop, b)).status).toBe("fetched");
    expect(filesOf(b)).toEqual(filesOf(snapshotDir(path.join(tmp, "a"), shop)));
  });

  it("a publish stopped (the process is stopping) drops its generation and keeps the current one", async () => {
    const before = await db.shopSnapshot.findUniqueOrThrow({ where: { shop } });
    const stop = new AbortController();
    const publishing = store.publish(shop, snapshotDir(path.join(tmp, "a"), shop), stop.signal);
    stop.abort();
    await expect(publishing).rejects.toThrow();
    expect(await db.shopSnapshot.findUniqueOrThrow({ where: { shop } })).toEqual(before);
    const generations = await db.snapshotChunk.groupBy({ by: ["generation"], where: { shop } });
    expect(generations.map((g) => g.generation)).toEqual([before.generation]);
  });

  it("no stored snapshot reads as none; the shop's deletion deletes its stored snapshot", async () => {
    const empty = path.join(tmp, "c");
    expect((await store.fetch("unknown.myshopify.com", empty)).status).toBe("none");
    await deleteShopData(db, shop);
    expect(await db.shopSnapshot.count({ where: { shop } })).toBe(0);
    expect(await db.snapshotFile.count({ where: { shop } })).toBe(0);
    expect(await db.snapshotChunk.count({ where: { shop } })).toBe(0);
    expect((await store.fetch(shop, snapshotDir(empty, shop))).status).toBe("none");
    expect(existsSync(snapshotDir(empty, shop))).toBe(false);
  });

  it("a publish for a shop deleted meanwhile leaves nothing stored", async () => {
    const dir = snapshotDir(path.join(tmp, "a"), shop);
    cpSync(dir, path.join(tmp, "orphan"), { recursive: true });
    await expect(store.publish(shop, path.join(tmp, "orphan"))).resolves.toMatchObject({ files: 9 });
    expect(await db.snapshotChunk.count({ where: { shop } })).toBe(0);
    expect(await db.shopSnapshot.count({ where: { shop } })).toBe(0);
  });
});
