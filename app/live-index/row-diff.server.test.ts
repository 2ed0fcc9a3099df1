import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { deleteProduct } from "../catalog/product-repository.server";
import { createPrismaClient, type Db } from "../db.server";
import type { LiveCard } from "./live-catalog";
import { diffRows, diffSinceSnapshot } from "./row-diff.server";

const kinds = await databaseKinds();
const HOUR = 3_600_000;

describe.each(kinds)("the diff of a catalog opened from a snapshot, on %s", (kind) => {
  let database: TestDatabase | undefined;
  let db: Db;
  let n = 0;
  let shop = "";
  /** The snapshot's view: every product's version when it was saved. */
  let snapshot: Parameters<typeof diffSinceSnapshot>[1];

  beforeEach(async () => {
    if (!database) {
      database = await createTestDatabase(kind);
      db = createPrismaClient(database.url);
    }
    // 40 products written over the past days (as a real catalog's are), snapshot taken now.
    shop = `diff-${n++}.myshopify.com`;
    await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
    const now = Date.now();
    const rows = Array.from({ length: 40 }, (_, i) => ({
      shopDomain: shop,
      id: String(100 + i),
      handle: `p-${i}`,
      title: `Product ${i}`,
      imageUrls: "[]",
      shopifyUpdatedAt: new Date(now),
      embedState: "embedded",
      embeddedAt: new Date(now),
      updatedAt: new Date(now - (i + 1) * 3 * HOUR),
    }));
    await db.product.createMany({ data: rows });
    const saved = await db.product.findMany({ where: { shopDomain: shop }, select: { id: true, updatedAt: true } });
    snapshot = { shop, cards: new Map(saved.map((r) => [r.id, {} as LiveCard])), rowVersions: new Map(saved.map((r) => [r.id, r.updatedAt.getTime()])), maxRowVersion: 0 };
  }, 60_000);

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  const embedded = (id: string) => ({
    shopDomain: shop,
    id,
    handle: `p-${id}`,
    title: `Product ${id}`,
    imageUrls: "[]",
    shopifyUpdatedAt: new Date(),
    embedState: "embedded",
    embeddedAt: new Date(),
  });

  it("is what changed since the snapshot — updated, deleted, drafted, added — and the same as the full diff", async () => {
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "105" } }, data: { title: "Renamed" } });
    await deleteProduct(db, shop, "110");
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "111" } }, data: { status: "DRAFT" } });
    await db.product.create({ data: embedded("900") });
    await db.product.create({ data: { ...embedded("901"), embedState: "pending", embeddedAt: null } }); // not searchable yet

    const since = await diffSinceSnapshot(db, snapshot);
    const full = await diffRows(db, snapshot, true);
    expect(since).not.toBeNull();
    expect(since!.toLoad.sort()).toEqual(["105", "900"]);
    expect(since!.gone.sort()).toEqual(["110", "111"]);
    expect(since!.toLoad.sort()).toEqual(full.toLoad.sort());
    expect(since!.gone.sort()).toEqual(full.gone.sort());
  });

  it("nothing changed: an empty diff", async () => {
    const since = await diffSinceSnapshot(db, snapshot);
    expect(since).toEqual({ toLoad: [], gone: [], maxVersion: Math.max(...snapshot.rowVersions.values()) });
  });

  it("is refused (null: read every row) when the database's count does not add up: a row written with a clock far behind", async () => {
    await db.product.create({ data: { ...embedded("902"), updatedAt: new Date(Date.now() - 30 * 24 * HOUR) } });
    expect(await diffSinceSnapshot(db, snapshot)).toBeNull();
    expect((await diffRows(db, snapshot, true)).toLoad).toEqual(["902"]);
  });

  it("is refused when the database is older than the snapshot (restored from a backup)", async () => {
    // The newest product the snapshot holds is not in this database, nor its tombstone.
    const newest = [...snapshot.rowVersions].sort((a, b) => b[1] - a[1])[0][0];
    await db.product.deleteMany({ where: { shopDomain: shop, id: newest } });
    await db.product.create({ data: { ...embedded("903"), updatedAt: new Date(Date.now() - 200 * HOUR) } }); // same count as the snapshot
    expect(await diffSinceSnapshot(db, snapshot)).toBeNull();
    const full = await diffRows(db, snapshot, true);
    expect([full.toLoad, full.gone]).toEqual([["903"], [newest]]);
  });
});
