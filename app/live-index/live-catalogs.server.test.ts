import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { bumpCatalogVersion, deleteProduct } from "../catalog/product-repository.server";
import { createPrismaClient, type Db } from "../db.server";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { TEXT_DIM } from "../embedding/text/text-vector";
import { toBytes } from "../embedding/vector-codec";
import { ProductImageIndex } from "../search/product-image-index.server";
import { DEFAULT_GRAPH, ShopVectorIndex } from "../search/shop-vector-index.server";
import { SIDECAR_FILE } from "./catalog-sidecar.server";
import { LiveCatalogs } from "./live-catalogs.server";
import { snapshotLog } from "./snapshot-saves.server";

const kinds = await databaseKinds();
const IMAGE_DIM = 8;
const shop = "live.myshopify.com";

function vec(dim: number, seed: number): Uint8Array<ArrayBuffer> {
  const v = new Float32Array(dim).map((_, i) => Math.sin(seed * 7 + i) + 1.5);
  const n = Math.hypot(...v);
  const bytes = toBytes(v.map((x) => x / n));
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** Polls `done` every 20 ms until it holds or `ms` have passed (the caller asserts afterwards). */
async function waitFor(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !(await done()) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
}

describe.each(kinds)("LiveCatalogs on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    dataDir = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-"));
    await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
    const now = new Date();
    await db.product.createMany({
      data: Array.from({ length: 6 }, (_, i) => ({
        shopDomain: shop, id: String(100 + i), handle: `p-${i}`, title: `Product ${i}`, price: 10 + i, priceText: `${10 + i}.00`, imageUrls: "[]",
        shopifyUpdatedAt: now, embedState: "embedded", embeddedAt: now, modelId: "m",
        imageVector: vec(IMAGE_DIM, i), colorVector: vec(COLOR_DIM, i), textVector: vec(TEXT_DIM, i),
      })),
    });
  }, 60_000);

  /** A shop of `count` embedded products with ids first, first+1, … at `price`. */
  async function seedShop(domain: string, first: number, count: number, price: number): Promise<void> {
    await db.shop.create({ data: { domain, catalogVersion: 1 } });
    const now = new Date();
    await db.product.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        shopDomain: domain, id: String(first + i), handle: `h-${first + i}`, title: `Product ${first + i}`, price, priceText: `${price}.00`, imageUrls: "[]",
        shopifyUpdatedAt: now, embedState: "embedded", embeddedAt: now, modelId: "m",
        imageVector: vec(IMAGE_DIM, i), colorVector: vec(COLOR_DIM, i), textVector: vec(TEXT_DIM, i),
      })),
    });
  }

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("after each catalog change, shows exactly what the database holds: updates, deletes, drafts, new products", async () => {
    // Pages of 2 rows: the full diff's paging is part of what is checked.
    const catalogs = new LiveCatalogs({ db, dataDir, imageModelId: "m", imageDim: IMAGE_DIM, fullDiffPageSize: 2 });
    const ids = async () => [...(await catalogs.get(shop)).cards.keys()].sort();
    expect(await ids()).toEqual(["100", "101", "102", "103", "104", "105"]);

    // The changes a webhook, a sync or the worker make, then a version bump, as they do.
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "101" } }, data: { priceText: "99.00", price: 99 } });
    await deleteProduct(db, shop, "102");
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "103" } }, data: { status: "DRAFT" } });
    await db.product.create({
      data: {
        shopDomain: shop, id: "106", handle: "p-6", title: "Product 6", price: 16, priceText: "16.00", imageUrls: "[]", shopifyUpdatedAt: new Date(),
        embedState: "embedded", embeddedAt: new Date(), modelId: "m", imageVector: vec(IMAGE_DIM, 6), colorVector: vec(COLOR_DIM, 6), textVector: vec(TEXT_DIM, 6),
      },
    });
    await db.product.create({ data: { shopDomain: shop, id: "107", handle: "p-7", title: "Not embedded yet", price: 1, priceText: "1.00", imageUrls: "[]", shopifyUpdatedAt: new Date() } });
    await bumpCatalogVersion(db, shop);
    catalogs.markDirty(shop);

    const catalog = await catalogs.get(shop);
    expect(await ids()).toEqual(["100", "101", "104", "105", "106"]);
    expect(catalog.cards.get("101")?.price).toBe("99.00");
    expect(catalog.index.has("102")).toBe(false);
    expect(catalog.index.has("103")).toBe(false);
    expect(catalog.index.has("106")).toBe(true);

    // Back to active: it returns; embedded later: it appears.
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "103" } }, data: { status: "ACTIVE" } });
    await db.product.update({
      where: { shopDomain_id: { shopDomain: shop, id: "107" } },
      data: { embedState: "embedded", embeddedAt: new Date(), modelId: "m", imageVector: vec(IMAGE_DIM, 7), colorVector: vec(COLOR_DIM, 7), textVector: vec(TEXT_DIM, 7) },
    });
    await bumpCatalogVersion(db, shop);
    catalogs.markDirty(shop);
    expect(await ids()).toEqual(["100", "101", "103", "104", "105", "106", "107"]);
    await catalogs.close();

    // A fresh process (full diff) sees the same.
    const again = new LiveCatalogs({ db, dataDir, imageModelId: "m", imageDim: IMAGE_DIM, fullDiffPageSize: 2 });
    expect([...(await again.get(shop)).cards.keys()].sort()).toEqual(["100", "101", "103", "104", "105", "106", "107"]);
    await again.close();
  }, 60_000);

  it("saves a shop whose catalog never stops changing, at the latest saveMaxWaitMs after its first unsaved change", async () => {
    const busy = "busy.myshopify.com";
    const busyDir = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-busy-"));
    try {
      await seedShop(busy, 200, 3, 5);
      // Changes every ~50 ms never leave 500 ms of quiet: only the maximum wait gets a snapshot written.
      const catalogs = new LiveCatalogs({ db, dataDir: busyDir, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 500, saveMaxWaitMs: 1_000 });
      await catalogs.get(busy);
      const sidecar = path.join(busyDir, "indexes", busy, SIDECAR_FILE); // written last by a save
      const started = Date.now();
      let changes = 0;
      while (!existsSync(sidecar) && Date.now() - started < 4_000) {
        await db.product.update({ where: { shopDomain_id: { shopDomain: busy, id: "200" } }, data: { price: 6 + changes, priceText: `${6 + changes}.00` } });
        await bumpCatalogVersion(db, busy);
        catalogs.markDirty(busy);
        expect((await catalogs.get(busy)).cards.get("200")?.price).toBe(`${6 + changes}.00`);
        changes++;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(existsSync(sidecar)).toBe(true);
      expect(existsSync(path.join(busyDir, "indexes", busy, "manifest.json"))).toBe(true);
      expect(changes).toBeGreaterThan(3); // the snapshot came while the changes were still coming
      await catalogs.close();
    } finally {
      rmSync(busyDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a save that fails (the snapshot directory cannot be made) is tried again later without waiting for another change", async () => {
    const shop5 = "save-fails.myshopify.com";
    const dir5 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-fail-"));
    const warn = vi.spyOn(snapshotLog, "warn").mockImplementation(() => {});
    try {
      await seedShop(shop5, 500, 3, 5);
      // A plain file where the shop's snapshot directory goes: every write under it fails.
      const snapshotDir = path.join(dir5, "indexes", shop5);
      mkdirSync(path.dirname(snapshotDir), { recursive: true });
      writeFileSync(snapshotDir, "not a directory");
      const catalogs = new LiveCatalogs({ db, dataDir: dir5, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 100, saveMaxWaitMs: 10_000 });
      await catalogs.get(shop5); // loaded from the database: a save is due
      await waitFor(() => warn.mock.calls.length > 0, 5_000);
      expect(String(warn.mock.calls[0]?.[1])).toContain(`could not save the index snapshot of ${shop5}`);

      // The disk is fixed; no product changes from now on.
      rmSync(snapshotDir, { force: true });
      const sidecar = path.join(snapshotDir, SIDECAR_FILE); // written last by a save
      await waitFor(() => existsSync(sidecar), 5_000);
      expect(existsSync(sidecar)).toBe(true);
      await catalogs.close();

      // The snapshot is complete: a restart serves the shop from it.
      const reloaded = await ShopVectorIndex.load(snapshotDir);
      expect([...reloaded!.ids()].sort()).toEqual(["500", "501", "502"]);
    } finally {
      warn.mockRestore();
      rmSync(dir5, { recursive: true, force: true });
    }
  }, 30_000);

  it("opens at most maxConcurrentOpens shops at a time; the others wait their turn, in order", async () => {
    const shops = ["open-a.myshopify.com", "open-b.myshopify.com", "open-c.myshopify.com"];
    const dirOpen = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-open-"));
    try {
      for (const [i, s] of shops.entries()) await seedShop(s, 700 + 10 * i, 5, 5);
      for (const [limit, serial] of [[1, true], [3, false]] as const) {
        const catalogs = new LiveCatalogs({ db, dataDir: dirOpen, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000, maxConcurrentOpens: limit });
        // How many shops this process holds when each get() resolves, in the order they resolve.
        const held: [string, number][] = [];
        await Promise.all(shops.map((s) => catalogs.get(s).then(() => void held.push([s, catalogs.loaded().length]))));
        if (serial) expect(held).toEqual(shops.map((s, i) => [s, i + 1]));
        else expect(held.map(([, n]) => n)).toContain(3); // opened side by side: all three were in before the first was done
        await catalogs.close();
      }
    } finally {
      rmSync(dirOpen, { recursive: true, force: true });
    }
  }, 60_000);

  it("a snapshot built with another graph density (an older release's) is served, rebuilt with the current one and saved", async () => {
    const shop6 = "old-graph.myshopify.com";
    const dir6 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-graph-"));
    try {
      await seedShop(shop6, 600, 5, 9);
      const snapshotDir = path.join(dir6, "indexes", shop6);
      const old = new LiveCatalogs({ db, dataDir: dir6, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000, graph: { M: 8, efConstruction: 40 } });
      await old.save(await old.get(shop6));
      await old.close();
      expect((await ShopVectorIndex.load(snapshotDir))!.graph).toEqual({ M: 8, efConstruction: 40 });

      // This release builds denser graphs: it serves the old snapshot at once, then replaces it.
      const catalogs = new LiveCatalogs({ db, dataDir: dir6, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 50 });
      const catalog = await catalogs.get(shop6);
      expect(catalog.index.searchByProduct("600", { k: 10 }).map((h) => h.id).sort()).toEqual(["601", "602", "603", "604"]);
      await waitFor(() => catalog.index.graph.M === DEFAULT_GRAPH.M, 10_000);
      expect(catalog.index.graph).toEqual(DEFAULT_GRAPH);
      expect(catalog.images.graph).toEqual(DEFAULT_GRAPH);
      expect([...catalog.cards.keys()].sort()).toEqual(["600", "601", "602", "603", "604"]);
      expect(catalog.index.searchByProduct("600", { k: 10 }).map((h) => h.id).sort()).toEqual(["601", "602", "603", "604"]);

      // ...and the rebuilt graph is what the next start loads.
      await waitFor(async () => (await ShopVectorIndex.load(snapshotDir))?.graph.M === DEFAULT_GRAPH.M, 10_000);
      await catalogs.close();
      expect((await ShopVectorIndex.load(snapshotDir))!.graph).toEqual(DEFAULT_GRAPH);
      expect((await ProductImageIndex.load(path.join(snapshotDir, "images")))!.graph).toEqual(DEFAULT_GRAPH);
    } finally {
      rmSync(dir6, { recursive: true, force: true });
    }
  }, 60_000);

  it("a big shop's snapshot stored unprojected is served, rebuilt through projections learned from its catalog, ranks as before and is saved so (and back)", async () => {
    const shop7 = "projected.myshopify.com";
    const dir7 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-projected-"));
    try {
      await seedShop(shop7, 700, 40, 9);
      const snapshotDir = path.join(dir7, "indexes", shop7);
      // A process with projections off (or a release before them) saved the shop.
      const old = new LiveCatalogs({ db, dataDir: dir7, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000, projection: null });
      const before = await old.get(shop7);
      const similar = (c: typeof before, id: string) => c.index.searchByProduct(id, { k: 5 }).map((h) => h.id);
      const expected = ["700", "713", "725"].map((id) => similar(before, id));
      await old.save(before);
      await old.close();
      expect((await ShopVectorIndex.load(snapshotDir))!.projections).toEqual({});

      // Shops of 30 products or more are projected here: served from the snapshot at once, then rebuilt.
      const projection = { image: 4, text: 16, photos: 4, minProducts: 30 };
      const catalogs = new LiveCatalogs({ db, dataDir: dir7, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 50, projection });
      const catalog = await catalogs.get(shop7);
      expect(["700", "713", "725"].map((id) => similar(catalog, id))).toEqual(expected);
      await waitFor(() => catalog.index.projections.image !== undefined, 10_000);
      expect(catalog.index.storedDims).toMatchObject({ image: 4, text: 16 });
      expect(catalog.images.projection?.outDim).toBe(4);
      // The seeded vectors lie in a 3-dimensional subspace: the projection keeps every score.
      expect(["700", "713", "725"].map((id) => similar(catalog, id))).toEqual(expected);
      expect(catalog.images.search(Float32Array.from(new Float32Array(IMAGE_DIM).map((_, i) => Math.sin(13 * 7 + i) + 1.5)), { k: 1 })[0].id).toBe("713");
      expect(catalog.cards.size).toBe(40);

      // ...and the projected indexes are what the next start loads.
      await waitFor(async () => (await ShopVectorIndex.load(snapshotDir))?.projections.image !== undefined, 10_000);
      await catalogs.close();
      expect((await ShopVectorIndex.load(snapshotDir))!.storedDims.image).toBe(4);
      expect((await ProductImageIndex.load(path.join(snapshotDir, "images")))!.projection?.outDim).toBe(4);

      // A process with projections off serves the projected snapshot, then rebuilds it as the models give it.
      const off = new LiveCatalogs({ db, dataDir: dir7, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 50, projection: null });
      const unprojected = await off.get(shop7);
      expect(["700", "713", "725"].map((id) => similar(unprojected, id))).toEqual(expected); // served at once (either index)
      await waitFor(() => unprojected.index.projections.image === undefined && unprojected.images.projection === undefined, 10_000);
      expect(unprojected.index.storedDims.image).toBe(IMAGE_DIM);
      expect(["700", "713", "725"].map((id) => similar(unprojected, id))).toEqual(expected);
      await off.close();
    } finally {
      rmSync(dir7, { recursive: true, force: true });
    }
  }, 60_000);

  it("a save that runs after the shop was redacted (say in another web process, before it heard) leaves no file of the shop on disk", async () => {
    const shop4 = "redacted-before-save.myshopify.com";
    const dir4 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-redact-"));
    try {
      await seedShop(shop4, 400, 3, 5);
      const catalogs = new LiveCatalogs({ db, dataDir: dir4, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      const catalog = await catalogs.get(shop4);
      const snapshotDir = path.join(dir4, "indexes", shop4);
      await catalogs.save(catalog);
      expect(existsSync(snapshotDir)).toBe(true);
      // shop/redact (webhook-handlers.server.ts › redactShop): the rows, then the directory.
      await db.product.deleteMany({ where: { shopDomain: shop4 } });
      await db.shop.delete({ where: { domain: shop4 } });
      rmSync(snapshotDir, { recursive: true, force: true });
      // This process still holds the catalog in memory and its save comes due.
      await catalogs.save(catalog);
      expect(existsSync(snapshotDir)).toBe(false);
      await catalogs.close();
    } finally {
      rmSync(dir4, { recursive: true, force: true });
    }
  });

  it("a shop opened from its snapshot answers similar products before its photo index is read; photo searches and changes wait for it", async () => {
    const shop8 = "photos-later.myshopify.com";
    const dir8 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-photos-"));
    const load = ProductImageIndex.load.bind(ProductImageIndex);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      await seedShop(shop8, 800, 5, 8);
      const first = new LiveCatalogs({ db, dataDir: dir8, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      await first.save(await first.get(shop8));
      await first.close();

      // The next start: its photo index takes as long as we like to read.
      vi.spyOn(ProductImageIndex, "load").mockImplementation(async (dir: string) => (await gate, load(dir)));
      const catalogs = new LiveCatalogs({ db, dataDir: dir8, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      const similar = await catalogs.get(shop8, { photos: false });
      expect(similar.cards.size).toBe(5);
      expect(similar.index.searchByProduct("800", { k: 10 }).map((h) => h.id).sort()).toEqual(["801", "802", "803", "804"]);
      expect(similar.images.size).toBe(0); // not read yet

      let photosRead = false;
      const withPhotos = catalogs.get(shop8).then((c) => ((photosRead = true), c));
      await db.product.update({ where: { shopDomain_id: { shopDomain: shop8, id: "801" } }, data: { priceText: "99.00", price: 99 } });
      await bumpCatalogVersion(db, shop8);
      catalogs.markDirty(shop8);
      const changed = catalogs.get(shop8, { photos: false });
      await new Promise((r) => setTimeout(r, 300));
      expect(photosRead).toBe(false);

      release();
      expect((await withPhotos).images.size).toBe(5);
      const after = await changed;
      expect(after.cards.get("801")?.price).toBe("99.00");
      expect(after.images.size).toBe(5);
      await catalogs.save(after);
      await catalogs.close();
      // What the next start reads is whole: the stand-in was never saved.
      expect((await load(path.join(dir8, "indexes", shop8, "images")))?.size).toBe(5);
    } finally {
      vi.restoreAllMocks();
      release();
      rmSync(dir8, { recursive: true, force: true });
    }
  }, 60_000);

  it("a snapshot whose photo index is damaged: similar products from it at once, the photo index rebuilt from the database", async () => {
    const shop9 = "photos-damaged.myshopify.com";
    const dir9 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-photos-damaged-"));
    try {
      await seedShop(shop9, 900, 5, 9);
      const first = new LiveCatalogs({ db, dataDir: dir9, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      await first.save(await first.get(shop9));
      await first.close();
      const imagesDir = path.join(dir9, "indexes", shop9, "images");
      const hnsw = readdirSync(imagesDir).find((f) => f.endsWith(".hnsw"))!;
      writeFileSync(path.join(imagesDir, hnsw), "not an index");

      const catalogs = new LiveCatalogs({ db, dataDir: dir9, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 50 });
      const catalog = await catalogs.get(shop9, { photos: false });
      expect(catalog.cards.size).toBe(5);
      expect(catalog.index.searchByProduct("900", { k: 10 })).toHaveLength(4);
      await waitFor(() => catalog.images.size === 5, 10_000);
      expect(catalog.images.size).toBe(5);
      expect((await catalogs.get(shop9)).images.size).toBe(5);
      await catalogs.close();
    } finally {
      rmSync(dir9, { recursive: true, force: true });
    }
  }, 60_000);

  /** Starts a save of `catalog` whose native index write (on the thread pool) waits until `release()`. */
  async function saveHeldOpen(catalogs: LiveCatalogs, catalog: Awaited<ReturnType<LiveCatalogs["get"]>>) {
    const native = (catalog.index as unknown as { native: { writeIndex(file: string): Promise<boolean> } }).native;
    const writeIndex = native.writeIndex.bind(native);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    Object.defineProperty(native, "writeIndex", {
      configurable: true,
      value: async (file: string) => {
        await gate;
        return writeIndex(file);
      },
    });
    const saving = catalogs.save(catalog);
    for (const deadline = Date.now() + 5_000; !catalog.index.busy && Date.now() < deadline; ) await new Promise((r) => setImmediate(r));
    expect(catalog.index.busy).toBe(true);
    return { saving, release, native };
  }

  it("close() waits for a snapshot being written: a stop leaves no half-written file behind", async () => {
    const shop7 = "closing.myshopify.com";
    const dir7 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-closing-"));
    try {
      await seedShop(shop7, 400, 4, 7);
      const catalogs = new LiveCatalogs({ db, dataDir: dir7, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      const catalog = await catalogs.get(shop7);
      const snapshotDir = path.join(dir7, "indexes", shop7);
      const { saving, release } = await saveHeldOpen(catalogs, catalog);

      let closed = false;
      const closing = catalogs.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(closed).toBe(false); // still writing
      release();
      await closing;
      await saving;
      expect(readdirSync(snapshotDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect((await ShopVectorIndex.load(snapshotDir))?.size).toBe(4);
    } finally {
      rmSync(dir7, { recursive: true, force: true });
    }
  }, 60_000);

  it("applies a catalog change that arrives while a save writes the index after the write, and saves it next", async () => {
    const shop3 = "saving.myshopify.com";
    const dir3 = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-saving-"));
    try {
      await seedShop(shop3, 300, 4, 7);
      const catalogs = new LiveCatalogs({ db, dataDir: dir3, imageModelId: "m", imageDim: IMAGE_DIM, saveDelayMs: 600_000 });
      const catalog = await catalogs.get(shop3);
      const snapshotDir = path.join(dir3, "indexes", shop3);

      const { saving, release, native } = await saveHeldOpen(catalogs, catalog);

      // A change arrives meanwhile: its refresh waits for the write (searches go on from memory).
      await db.product.update({ where: { shopDomain_id: { shopDomain: shop3, id: "300" } }, data: { price: 99, priceText: "99.00" } });
      await deleteProduct(db, shop3, "301");
      await bumpCatalogVersion(db, shop3);
      catalogs.markDirty(shop3);
      let refreshed = false;
      const refresh = catalogs.get(shop3).then(() => (refreshed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(refreshed).toBe(false);
      expect(catalog.index.has("301")).toBe(true);
      expect(catalog.index.searchByProduct("302", { k: 3 }).length).toBe(3);

      release();
      await refresh;
      expect(catalog.cards.get("300")?.price).toBe("99.00");
      expect(catalog.index.has("301")).toBe(false);
      expect(catalog.images.has("301")).toBe(false);
      await saving;

      // The snapshot holds the state the save started from...
      const first = await ShopVectorIndex.load(snapshotDir);
      expect([...first!.ids()].sort()).toEqual(["300", "301", "302", "303"]);
      expect(first!.attributes("300")?.price).toBe(7);

      // ...and the next one the change.
      delete (native as { writeIndex?: unknown }).writeIndex; // back to the prototype's
      await catalogs.save(catalog);
      const next = await ShopVectorIndex.load(snapshotDir);
      expect([...next!.ids()].sort()).toEqual(["300", "302", "303"]);
      expect(next!.attributes("300")?.price).toBe(99);
      await catalogs.close();

      // A restart serves it from the snapshot.
      const again = new LiveCatalogs({ db, dataDir: dir3, imageModelId: "m", imageDim: IMAGE_DIM });
      const reloaded = await again.get(shop3);
      expect([...reloaded.cards.keys()].sort()).toEqual(["300", "302", "303"]);
      expect(reloaded.cards.get("300")?.price).toBe("99.00");
      await again.close();
    } finally {
      rmSync(dir3, { recursive: true, force: true });
    }
  }, 60_000);
});
