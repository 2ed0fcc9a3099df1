/**
 * Incremental sync through real, HMAC-signed webhooks to the running web server and worker:
 * updates, creates and deletes reach the storefront API; duplicates, reordering, forgeries and
 * uninstalled shops change nothing they should not.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { Redis } from "ioredis";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, runCli, startWeb, startWorker, TEST_API_SECRET, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, databaseKinds, type TestDatabase } from "./support/databases";
import { restProduct, sendWebhook } from "./support/webhook-client";

const kinds = await databaseKinds();

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await fn();
  }
  return last;
}

describe.each(kinds)("webhooks on %s", (kind) => {
  const shop = "hooks-test.myshopify.com";
  let database: TestDatabase;
  let app: AppEnv;
  let web: RunningProcess;
  let worker: RunningProcess;
  let db: Db;
  let images: Server;
  let imageBase = "";
  let catalogDir = "";
  const ids: string[] = [];

  const similar = async (params: Record<string, string>) => {
    const res = await fetch(signedUrl(app.baseUrl, "similar", shop, params));
    return { status: res.status, products: res.ok ? ((await res.json()) as { products: { id: string; price: string; title: string }[] }).products : [] };
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // The test serves product photos from 127.0.0.1: allow that host (production allows only Shopify's CDN).
    app = await appEnv(database.url, { IMAGE_FETCH_ALLOW_PRIVATE: "1", IMAGE_HOST_ALLOWLIST: "127.0.0.1" });
    catalogDir = path.join(app.dataDir, "catalog");
    const file = await generateCatalog(catalogDir);
    for (const line of readFileSync(file, "utf8").trim().split("\n")) ids.push(JSON.parse(line).id.split("/").pop());
    images = createServer((req, res) => {
      try {
        res.end(readFileSync(path.join(catalogDir, "images", path.basename(req.url ?? ""))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => images.listen(0, "127.0.0.1", r));
    imageBase = `http://127.0.0.1:${(images.address() as { port: number }).port}`;
    [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, "--wait"], app.env);
    expect(res.code, res.stderr).toBe(0);
    db = createPrismaClient(database.url);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([web?.stop(), worker?.stop()]);
    images?.close();
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
  });

  it("a price update reaches the price filter within seconds, without re-embedding", async () => {
    const id = Number(ids[0]);
    const before = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } });
    const res = await sendWebhook(app.baseUrl, { topic: "products/update", shop, payload: restProduct({ id, title: before.title, handle: before.handle, productType: before.productType, price: "999.00", updatedAt: "2026-06-01T00:00:00Z", imageUrl: JSON.parse(before.imageUrls)[0] }) });
    expect(res.status).toBe(200);
    const { products } = await eventually(() => similar({ product_id: ids[1], min_price: "900" }), (r) => r.products.length > 0);
    expect(products.map((p) => [p.id, p.price])).toEqual([[String(id), "999.00"]]);
  });

  it("ignores a duplicate delivery (same webhook id) even with a different body", async () => {
    const id = Number(ids[2]);
    const first = await sendWebhook(app.baseUrl, { topic: "products/update", shop, webhookId: "dup-1", payload: restProduct({ id, title: "Dup Mug", price: "11.00", updatedAt: "2026-06-02T00:00:00Z" }) });
    const second = await sendWebhook(app.baseUrl, { topic: "products/update", shop, webhookId: "dup-1", payload: restProduct({ id, title: "Dup Mug", price: "77.00", updatedAt: "2026-06-03T00:00:00Z" }) });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } })).priceText).toBe("11.00");
  });

  it("keys duplicates by (shop, webhook id): the same id from another shop is processed, a true duplicate still once", async () => {
    const other = "other-hooks.myshopify.com";
    await db.shop.upsert({ where: { domain: other }, create: { domain: other }, update: { uninstalledAt: null } });
    const webhookId = `shared-${randomUUID()}`;
    const id = Number(ids[7]);
    const otherId = 9_300_000_001;
    const price = async (s: string, pid: number) => (await db.product.findUnique({ where: { shopDomain_id: { shopDomain: s, id: String(pid) } } }))?.priceText;
    const mine = await sendWebhook(app.baseUrl, { topic: "products/update", shop, webhookId, payload: restProduct({ id, title: "Shared id A", price: "12.00", updatedAt: "2026-06-04T00:00:00Z" }) });
    const theirs = await sendWebhook(app.baseUrl, { topic: "products/create", shop: other, webhookId, payload: restProduct({ id: otherId, title: "Shared id B", price: "13.00", updatedAt: "2026-06-04T00:00:00Z" }) });
    const again = await sendWebhook(app.baseUrl, { topic: "products/update", shop: other, webhookId, payload: restProduct({ id: otherId, title: "Shared id B", price: "99.00", updatedAt: "2026-06-05T00:00:00Z" }) });
    expect([mine.status, theirs.status, again.status]).toEqual([200, 200, 200]);
    expect(await again.text()).toBe("duplicate delivery");
    expect([await price(shop, id), await price(other, otherId)]).toEqual(["12.00", "13.00"]);
    expect(await db.webhookDelivery.count({ where: { id: webhookId } })).toBe(2);
  });

  it("answers 400 to a signed delivery whose X-Shopify-Shop-Domain is not a shop domain, before any work", async () => {
    const payload = restProduct({ id: Number(ids[8]), title: "Bad domain", price: "1.00", updatedAt: "2027-01-01T00:00:00Z" });
    for (const bad of ["evil.example.com", "not a shop", "../../x.myshopify.com", "a_b.myshopify.com", "UPPER.myshopify.com", `${"a".repeat(70)}.myshopify.com`]) {
      const res = await sendWebhook(app.baseUrl, { topic: "products/update", shop: bad, payload });
      expect(res.status, bad).toBe(400);
    }
    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: ids[8] } } });
    expect(row.title).not.toBe("Bad domain");
  });

  it("keeps the newest state when updates arrive out of order", async () => {
    const id = Number(ids[3]);
    await sendWebhook(app.baseUrl, { topic: "products/update", shop, payload: restProduct({ id, title: "Newest", price: "30.00", updatedAt: "2026-07-02T00:00:00Z" }) });
    await sendWebhook(app.baseUrl, { topic: "products/update", shop, payload: restProduct({ id, title: "Older", price: "20.00", updatedAt: "2026-07-01T00:00:00Z" }) });
    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } });
    expect([row.title, row.priceText]).toEqual(["Newest", "30.00"]);
  });

  it("a created product becomes searchable; a deleted one is never served again, even after a late update", async () => {
    const newId = 9_200_000_001;
    const create = await sendWebhook(app.baseUrl, { topic: "products/create", shop, payload: restProduct({ id: newId, title: "Webhook Red Tee", price: "21.00", updatedAt: "2026-06-05T00:00:00Z", imageUrl: `${imageBase}/${ids[0]}.png` }) });
    expect(create.status).toBe(200);
    const found = await eventually(() => similar({ product_id: String(newId), limit: "5" }), (r) => r.status === 200);
    expect(found.status).toBe(200);
    // Same photo as ids[0]: it must be its nearest neighbour.
    expect(found.products[0].id).toBe(ids[0]);

    const del = await sendWebhook(app.baseUrl, { topic: "products/delete", shop, payload: { id: newId } });
    expect(del.status).toBe(200);
    const gone = await eventually(() => similar({ product_id: ids[0], limit: "50" }), (r) => !r.products.some((p) => p.id === String(newId)));
    expect(gone.products.map((p) => p.id)).not.toContain(String(newId));
    expect((await similar({ product_id: String(newId) })).status).toBe(404);

    await sendWebhook(app.baseUrl, { topic: "products/update", shop, payload: restProduct({ id: newId, title: "Zombie", price: "1.00", updatedAt: "2026-12-01T00:00:00Z" }) });
    expect(await db.product.count({ where: { shopDomain: shop, id: String(newId) } })).toBe(0);
  });

  it("refuses a forged HMAC with 401 and changes nothing", async () => {
    const id = Number(ids[4]);
    const before = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } });
    const forged = await sendWebhook(app.baseUrl, { topic: "products/update", shop, secret: "wrong-secret", payload: restProduct({ id, title: "Hacked", price: "0.01", updatedAt: "2027-01-01T00:00:00Z" }) });
    expect(forged.status).toBe(401);
    const after = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } });
    expect([after.title, after.priceText]).toEqual([before.title, before.priceText]);
  });

  it("refuses a wrong topic header and a malformed body with 400; another shop's product id in a payload touches only the sending shop's rows", async () => {
    const id = Number(ids[5]);
    const row = () => db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: String(id) } } });
    const before = await row();
    const hacked = restProduct({ id, title: "Hacked", price: "0.01", updatedAt: "2027-01-01T00:00:00Z" });

    // A correctly signed delivery whose topic header is not the route's.
    const wrongTopic = await sendWebhook(app.baseUrl, { topic: "orders/create", path: "/webhooks/products/update", shop, payload: hacked });
    expect(wrongTopic.status).toBe(400);
    expect(await wrongTopic.text()).toMatch(/unexpected topic ORDERS_CREATE/); // the library names topics in GraphQL enum form

    // A correctly signed body that is not JSON.
    const body = '{"id": 1, "title": ';
    const malformed = await fetch(`${app.baseUrl}/webhooks/products/update`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "products/update",
        "X-Shopify-Hmac-Sha256": createHmac("sha256", TEST_API_SECRET).update(body).digest("base64"),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": randomUUID(),
        "X-Shopify-API-Version": "2026-01",
      },
      body,
    });
    expect(malformed.status).toBe(400);

    // An installed shop's delivery carrying this shop's product id: rows are keyed by (shop, id).
    const other = "other-installed.myshopify.com";
    await db.shop.upsert({ where: { domain: other }, create: { domain: other }, update: { uninstalledAt: null } });
    const cross = await sendWebhook(app.baseUrl, { topic: "products/update", shop: other, payload: hacked });
    expect(cross.status).toBe(200);

    const after = await row();
    expect([after.title, after.priceText, after.updatedAt.toISOString()]).toEqual([before.title, before.priceText, before.updatedAt.toISOString()]);
    const served = await similar({ product_id: ids[6], limit: "40" });
    expect(served.status).toBe(200);
    expect(served.products.map((p) => p.title)).not.toContain("Hacked");
    const theirs = await db.product.findMany({ where: { shopDomain: other }, select: { id: true, title: true } });
    expect(theirs.every((p) => p.title === "Hacked")).toBe(true); // only ever in the sender's own catalog
    const alive = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: ids[0] }));
    expect(alive.status).toBe(200);
  });

  it("ignores product webhooks for a shop that never installed the app", async () => {
    const res = await sendWebhook(app.baseUrl, { topic: "products/update", shop: "stranger.myshopify.com", payload: restProduct({ id: 5, title: "X", price: "1.00", updatedAt: "2026-01-01T00:00:00Z" }) });
    expect(res.status).toBe(200);
    expect(await db.product.count({ where: { shopDomain: "stranger.myshopify.com" } })).toBe(0);
  });

  it("shop/redact deletes all of the shop's data: rows, index files, cached results", async () => {
    const redis = new Redis(app.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const cacheKeys = () => redis.keys(`${app.env.REDIS_NAMESPACE}:res:${shop}:*`);
    await similar({ product_id: ids[5] });
    expect((await cacheKeys()).length).toBeGreaterThan(0);
    const res = await sendWebhook(app.baseUrl, { topic: "shop/redact", shop, path: "/webhooks/compliance", payload: { shop_id: 1, shop_domain: shop } });
    expect(res.status).toBe(200);
    expect(await db.product.count({ where: { shopDomain: shop } })).toBe(0);
    expect(await db.shop.count({ where: { domain: shop } })).toBe(0);
    expect((await eventually(() => similar({ product_id: ids[0] }), (r) => r.status === 404)).status).toBe(404);
    expect(await cacheKeys()).toEqual([]);
    expect(existsSync(path.join(app.dataDir, "indexes", shop))).toBe(false);
    redis.disconnect();
  });
});
