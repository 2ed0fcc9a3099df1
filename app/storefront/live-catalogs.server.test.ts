import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { bumpCatalogVersion, deleteProduct } from "../catalog/product-repository.server";
import { createPrismaClient, type Db } from "../db.server";
import { COLOR_DIM } from "../embedding/color-signature.server";
import { TEXT_DIM } from "../embedding/text-vector";
import { toBytes } from "../embedding/vector-codec";
import { SIDECAR_FILE } from "./catalog-sidecar.server";
import { LiveCatalogs } from "./live-catalogs.server";

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
      await db.shop.create({ data: { domain: busy, catalogVersion: 1 } });
      const now = new Date();
      await db.product.createMany({
        data: Array.from({ length: 3 }, (_, i) => ({
          shopDomain: busy, id: String(200 + i), handle: `b-${i}`, title: `Busy ${i}`, price: 5, priceText: "5.00", imageUrls: "[]",
          shopifyUpdatedAt: now, embedState: "embedded", embeddedAt: now, modelId: "m",
          imageVector: vec(IMAGE_DIM, i), colorVector: vec(COLOR_DIM, i), textVector: vec(TEXT_DIM, i),
        })),
      });
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
});
