import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../db.server";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { MINILM_TEXT_MODEL_ID } from "../embedding/models/model-registry";
import { imageVectorKey, textVectorKey } from "../embedding/vector-versions";
import { parseProductNode } from "./product-node";
import { catalogCounts, deleteProduct, ensureShop, upsertProduct } from "./product-repository.server";

const kinds = await databaseKinds();
const shop = "order-test.myshopify.com";

function node(overrides: Record<string, unknown> = {}) {
  return parseProductNode({
    id: "gid://shopify/Product/1",
    title: "Blue Mug",
    updatedAt: "2026-02-01T00:00:00Z",
    priceRangeV2: { minVariantPrice: { amount: "10.00", currencyCode: "USD" } },
    media: { nodes: [{ image: { url: "https://cdn.shopify.com/a.jpg" } }] },
    ...overrides,
  });
}

describe.each(kinds)("product repository on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    await ensureShop(db, shop);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it("creates, then ignores an identical delivery", async () => {
    expect(await upsertProduct(db, shop, node(), "shopify")).toEqual({ action: "created", needsEmbedding: true });
    const again = await upsertProduct(db, shop, node(), "shopify");
    expect(again.action).toBe("unchanged");
  });

  it("ignores an update older than the stored one", async () => {
    const old = await upsertProduct(db, shop, node({ title: "Old title", updatedAt: "2026-01-01T00:00:00Z" }), "shopify");
    expect(old.action).toBe("stale");
    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } });
    expect(row.title).toBe("Blue Mug");
  });

  it("updates price without re-embedding, and re-embeds when the title or images change", async () => {
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "1" } }, data: { embedState: "embedded", vectorTextHash: textVectorKey(node().textHash), vectorImageHash: imageVectorKey(node().imageHash) } });
    const price = await upsertProduct(db, shop, node({ updatedAt: "2026-02-02T00:00:00Z", priceRangeV2: { minVariantPrice: { amount: "12.00" } } }), "shopify");
    expect(price).toEqual({ action: "updated", needsEmbedding: false });
    expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } })).embedState).toBe("embedded");
    // Text embedded by a text model (TEXT_MODEL=minilm): still current for this writer (a model change is the reconciler's).
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "1" } }, data: { vectorTextHash: textVectorKey(node().textHash, MINILM_TEXT_MODEL_ID) } });
    const price2 = await upsertProduct(db, shop, node({ updatedAt: "2026-02-02T12:00:00Z", priceRangeV2: { minVariantPrice: { amount: "13.00" } } }), "shopify");
    expect(price2).toEqual({ action: "updated", needsEmbedding: false });
    const title = await upsertProduct(db, shop, node({ updatedAt: "2026-02-03T00:00:00Z", title: "Navy Mug" }), "shopify");
    expect(title).toEqual({ action: "updated", needsEmbedding: true });
    expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } })).embedState).toBe("pending");
  });

  it("lets a delete win over an update that arrives after it", async () => {
    expect(await deleteProduct(db, shop, "1")).toBe(true);
    const late = await upsertProduct(db, shop, node({ updatedAt: "2026-03-01T00:00:00Z" }), "shopify");
    expect(late.action).toBe("deleted");
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(0);
    expect((await catalogCounts(db, shop)).products).toBe(0);
  });

  it("keeps shops apart: the same product id in two shops is two products", async () => {
    await ensureShop(db, "other.myshopify.com");
    await upsertProduct(db, shop, node({ id: "gid://shopify/Product/2" }), "shopify");
    await upsertProduct(db, "other.myshopify.com", node({ id: "gid://shopify/Product/2", title: "Theirs" }), "shopify");
    await deleteProduct(db, "other.myshopify.com", "2");
    expect(await db.product.count({ where: { shopDomain: shop, id: "2" } })).toBe(1);
  });
});
