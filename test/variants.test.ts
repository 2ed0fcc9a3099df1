/**
 * Issue 24 (server side), end to end on real processes: a catalog whose colour variants carry
 * their own photos (built from luma-dev, scripts/lib/variant-catalog.ts) synced from the fake
 * Admin API by a bulk operation; a photo search for a variant's photo answers with that variant's
 * card (photo, ?variant= link, price); with "hide out of stock" on, an HMAC-signed
 * inventory_levels/update that sells the variant out changes the answer within seconds, and a
 * product with nothing left to sell disappears.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { saveShopSettings } from "../app/shops/shop-settings.server";
import { DEFAULT_SETTINGS } from "../app/shops/shop-settings";
import { appEnv, ROOT, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { buildVariantCatalog, type VariantCase } from "../scripts/lib/variant-catalog";
import { FakeAdminApi } from "./fake-shopify/fake-admin-api";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, databaseKinds, type TestDatabase } from "./support/databases";
import { sendWebhook } from "./support/webhook-client";

const LUMA = path.resolve(ROOT, "../shared/datasets/luma-dev");
const kinds = await databaseKinds();
const TOKEN = "shpat_fake_offline_token";

interface Card {
  id: string;
  handle: string;
  price: string;
  image: string | null;
  url: string;
  variantId: string | null;
  available: boolean;
}

describe.skipIf(!existsSync(LUMA)).each(kinds)("variant cards on %s", (kind) => {
  const shop = "variants-test.myshopify.com";
  let database: TestDatabase;
  let app: AppEnv;
  let web: RunningProcess;
  let worker: RunningProcess;
  let fake: FakeAdminApi;
  let db: Db;
  let redis: Redis;
  let outDir = "";
  let cases: VariantCase[] = [];

  const photoSearch = async (photo: string): Promise<Card[]> => {
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(readFileSync(path.join(LUMA, photo)))], { type: "image/jpeg" }), "photo.jpg");
    const res = await fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "5" }), { method: "POST", body: form });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { products: Card[] }).products;
  };
  const inventoryWebhook = (variantId: string, webhookId?: string) =>
    sendWebhook(app.baseUrl, {
      topic: "inventory_levels/update",
      shop,
      webhookId,
      payload: { inventory_item_id: Number(variantId), location_id: 1, available: 0, updated_at: new Date().toISOString() },
    });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    outDir = mkdtempSync(path.join(os.tmpdir(), "variant-catalog-"));
    ({ cases } = buildVariantCatalog(LUMA, outDir, 8));
    fake = new FakeAdminApi({ catalogFile: path.join(outDir, "catalog.jsonl"), accessToken: TOKEN, bulkDurationMs: 100 });
    await fake.start();
    app = await appEnv(database.url, fake.appEnv());
    redis = new Redis(app.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
    await ensureDemoShop(db, shop, ["read_products", "read_inventory"]);
    await db.session.update({ where: { id: `offline_${shop}` }, data: { accessToken: TOKEN } });
    const res = await runCli(["scripts/catalog-sync.ts", "--shop", shop, "--wait"], app.env);
    expect(res.code, res.stderr + worker.output()).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (process.env.DEBUG_VARIANTS) console.log(web?.output().slice(-6000));
    await Promise.all([web?.stop(), worker?.stop()]);
    await fake?.stop();
    redis?.disconnect();
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("the bulk sync stores each variant with its own photo", async () => {
    const c = cases[0];
    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: c.productId } } });
    const urls = JSON.parse(row.imageUrls) as string[];
    const variants = JSON.parse(row.variants) as { id: string; price: string; available: boolean; photo: number }[];
    expect(variants.map((v) => v.id)).toEqual(c.variants.map((v) => v.id));
    const own = variants.find((v) => v.id === c.variantId)!;
    expect(own).toMatchObject({ price: c.price, available: true });
    expect(urls[own.photo]).toBe(`${fake.baseUrl}/files/${c.photo}`);
    expect(variants.filter((v) => v.id !== c.variantId).every((v) => v.photo === -1)).toBe(true);
  });

  it("a photo search for a variant's photo answers with that variant's card: its photo, ?variant= link and price", async () => {
    for (const c of cases.slice(0, 3)) {
      const [first] = await photoSearch(c.photo);
      expect(first).toMatchObject({ id: c.productId, variantId: c.variantId, price: c.price, available: true });
      expect(first.url).toBe(`/products/${first.handle}?variant=${c.variantId}`);
      expect(first.image).toBe(`${fake.baseUrl}/files/${c.photo}`);
    }
  }, 60_000);

  it("with hide out of stock on, an inventory webhook selling the variant out switches the card within seconds; nothing left hides the product", async () => {
    const c = cases[0];
    const saved = await saveShopSettings(db, redis, shop, { ...DEFAULT_SETTINGS, hideOutOfStock: true });
    expect(saved.ok).toBe(true);
    expect((await photoSearch(c.photo))[0]).toMatchObject({ id: c.productId, variantId: c.variantId });

    fake.setVariantAvailable(`gid://shopify/ProductVariant/${c.variantId}`, false);
    const started = Date.now();
    const res = await inventoryWebhook(c.variantId, "inventory-delivery-1");
    expect(res.status, await res.text()).toBe(200);
    let card: Card | undefined;
    while (Date.now() - started < 10_000) {
      card = (await photoSearch(c.photo)).find((p) => p.id === c.productId);
      if (card && card.variantId !== c.variantId) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (Date.now() - started) / 1000;
    if (process.env.DEBUG_VARIANTS) console.log(`${kind}: card switched ${seconds.toFixed(2)} s after the inventory webhook was sent`);
    expect(seconds).toBeLessThan(5);
    // Another variant of the product, available, at its own price and link.
    const other = c.variants.find((v) => v.id === card?.variantId);
    expect(other, JSON.stringify(card)).toBeDefined();
    expect(card).toMatchObject({ available: true });
    expect(card!.url).toBe(`/products/${card!.handle}?variant=${other!.id}`);
    expect(card!.price).not.toBe(c.price);

    // The same delivery again (Shopify retries), or another telling the same stock, changes nothing.
    const version = (await db.shop.findUniqueOrThrow({ where: { domain: shop } })).catalogVersion;
    const again = await inventoryWebhook(c.variantId, "inventory-delivery-1");
    expect(await again.text()).toBe("duplicate delivery");
    expect(await (await inventoryWebhook(c.variantId)).text()).toBe("unchanged");
    expect((await db.shop.findUniqueOrThrow({ where: { domain: shop } })).catalogVersion).toBe(version);

    // Every variant sold: the product leaves the answer.
    for (const v of c.variants) fake.setVariantAvailable(`gid://shopify/ProductVariant/${v.id}`, false);
    expect((await inventoryWebhook(c.variants[0].id)).status).toBe(200);
    const hiddenBy = Date.now() + 5_000;
    let ids = (await photoSearch(c.photo)).map((p) => p.id);
    while (ids.includes(c.productId) && Date.now() < hiddenBy) {
      await new Promise((r) => setTimeout(r, 200));
      ids = (await photoSearch(c.photo)).map((p) => p.id);
    }
    expect(ids).not.toContain(c.productId);
  }, 60_000);

  it("a forged inventory webhook is refused, malformed ones (inventory item, variant data) answer 400, and none changes anything", async () => {
    const before = await db.product.findMany({ where: { shopDomain: shop }, orderBy: { id: "asc" }, select: { id: true, variants: true, updatedAt: true } });
    const forged = await sendWebhook(app.baseUrl, { topic: "inventory_levels/update", shop, payload: { inventory_item_id: Number(cases[1].variantId) }, secret: "forged" });
    expect(forged.status).toBe(401);
    const malformed = await sendWebhook(app.baseUrl, { topic: "inventory_levels/update", shop, payload: { inventory_item_id: "gid://shopify/Product/1" } });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/inventory_item_id/);
    // products/update with a variant that is no variant: refused whole, with the reason.
    const badVariant = await sendWebhook(app.baseUrl, {
      topic: "products/update",
      shop,
      payload: { id: Number(cases[1].productId), title: "Changed", updated_at: "2030-01-01T00:00:00Z", variants: [{ id: "gid://shopify/Product/1", price: "1.00" }] },
    });
    expect(badVariant.status).toBe(400);
    expect(await badVariant.text()).toMatch(/invalid variant id/);
    const unknown = await inventoryWebhook("999999999");
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toMatch(/no product/);
    expect(await db.product.findMany({ where: { shopDomain: shop }, orderBy: { id: "asc" }, select: { id: true, variants: true, updatedAt: true } })).toEqual(before);
  });
});
