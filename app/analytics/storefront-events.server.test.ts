/**
 * Storefront events: validation, and the signed `POST /proxy/events` handler as a plain function
 * over real parts (a real LiveCatalogs on both databases, real Redis RateLimits, a real
 * EventBatcher): 204, unsigned and bad bodies refused, ids outside the shop's catalog never
 * counted, a shop without a catalog 404, the per-client limit keyed on the client address whatever
 * X-Forwarded-For says, a body over the cap refused without reading it all, no shopper data stored.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { signAppProxyQuery } from "../demo/app-proxy-signature";
import { createPrismaClient, type Db } from "../db.server";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { TEXT_DIM } from "../embedding/text/text-vector";
import { toBytes } from "../embedding/vector-codec";
import { LiveCatalogs } from "../live-index/live-catalogs.server";
import { RateLimits } from "../storefront/rate-limits.server";
import { catalogProducts } from "./catalog-products.server";
import { EventBatcher } from "./event-batcher.server";

const SECRET = "events-test-secret";
process.env.SHOPIFY_API_KEY = "events-test-key";
process.env.SHOPIFY_API_SECRET = SECRET;
process.env.SHOPIFY_APP_URL = "http://localhost:3999";
process.env.REDIS_NAMESPACE = `lookalike-events-test-${process.pid}`;

const { MAX_EVENT_BYTES, parseStorefrontEvent, storefrontEventsHandler, utcDay } = await import("./storefront-events.server");
type Deps = import("./storefront-events.server").StorefrontEventDeps;
const kinds = await databaseKinds();
const shop = "events-shop.myshopify.com";
const IMAGE_DIM = 8;
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
afterAll(async () => {
  const keys = await redis.keys(`${process.env.REDIS_NAMESPACE}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function vec(dim: number, seed: number): Uint8Array<ArrayBuffer> {
  const v = new Float32Array(dim).map((_, i) => Math.sin(seed * 7 + i) + 1.5);
  const n = Math.hypot(...v);
  const bytes = toBytes(v.map((x) => x / n));
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

const url = (s = shop, secret = SECRET) => `http://localhost:3999/proxy/events?${signAppProxyQuery(new URLSearchParams(), { shop: s, secret })}`;
const beacon = (u: string, body: string, headers: Record<string, string> = {}) =>
  new Request(u, { method: "POST", body, headers: { "Content-Type": "text/plain;charset=UTF-8", "User-Agent": "Mozilla/5.0", ...headers } });
const NO_LIMITS = { similar: { perShop: 0, perIp: 0 }, photo: { perShop: 0, perIp: 0 }, events: { perShop: 0, perIp: 0 } };

describe("parseStorefrontEvent", () => {
  it("accepts the three event types and normalises ids", () => {
    expect(parseStorefrontEvent('{"type":"photo_search"}')).toEqual({ type: "photo_search" });
    expect(parseStorefrontEvent('{"type":"click","productId":"gid://shopify/Product/12","sourceProductId":34}')).toEqual({ type: "click", productId: "12", sourceProductId: "34" });
    expect(parseStorefrontEvent('{"type":"impression","sourceProductId":"5","productIds":["1","1","2"]}')).toEqual({ type: "impression", sourceProductId: "5", productIds: ["1", "2"] });
  });
  it.each([
    ["not json", "{"],
    ["array", "[]"],
    ["unknown type", '{"type":"purchase"}'],
    ["click without product", '{"type":"click"}'],
    ["bad id", '{"type":"click","productId":"abc"}'],
    ["too many ids", JSON.stringify({ type: "impression", productIds: Array.from({ length: 51 }, (_, i) => String(i + 1)) })],
  ])("refuses %s with a 4xx", (_name, body) => {
    expect(() => parseStorefrontEvent(body)).toThrowError(expect.objectContaining({ status: expect.any(Number) }));
  });
  it("refuses oversized bodies", () => {
    expect(() => parseStorefrontEvent(JSON.stringify({ type: "photo_search", pad: "x".repeat(5000) }))).toThrowError(expect.objectContaining({ status: 413 }));
  });
});

describe.each(kinds)("storefront events on %s", (kind) => {
  let database: TestDatabase;
  let client: Db;
  let dataDir: string;
  let catalogs: LiveCatalogs;
  let batcher: EventBatcher;
  let deps: (over?: Partial<Deps>) => Deps;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    client = createPrismaClient(database.url);
    dataDir = mkdtempSync(path.join(os.tmpdir(), "events-catalogs-"));
    await client.shop.create({ data: { domain: shop, catalogVersion: 1 } });
    const now = new Date();
    await client.product.createMany({
      data: ["11", "12", "13"].map((id, i) => ({
        shopDomain: shop, id, handle: `p-${id}`, title: `Product ${id}`, price: 10, priceText: "10.00", imageUrls: "[]",
        shopifyUpdatedAt: now, embedState: "embedded", embeddedAt: now, modelId: "m",
        imageVector: vec(IMAGE_DIM, i), colorVector: vec(COLOR_DIM, i), textVector: vec(TEXT_DIM, i),
      })),
    });
    catalogs = new LiveCatalogs({ db: client, dataDir, imageModelId: "m", imageDim: IMAGE_DIM });
    batcher = new EventBatcher(() => client, { flushMs: 3_600_000, maxPendingKeys: 10_000 });
    const limits = new RateLimits(redis, NO_LIMITS);
    deps = (over = {}) => ({
      clientAddress: "203.0.113.7",
      products: (s) => catalogProducts(catalogs, s),
      rateLimit: (s, address) => limits.check("events", s, address),
      batcher,
      ...over,
    });
  }, 60_000);
  afterAll(async () => {
    await batcher?.close();
    await catalogs?.close();
    await client?.$disconnect();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const today = () => client.dailyStat.findUnique({ where: { shopDomain_day: { shopDomain: shop, day: utcDay() } } });
  const productRows = () =>
    client.productDailyStat.findMany({ where: { shopDomain: shop }, orderBy: { productId: "asc" } }).then((rows) => rows.map((p) => [p.productId, p.impressions, p.clicks]));

  it("counts only products of the shop's catalog: invented ids leave no rows, the event itself still counts", async () => {
    const invented = Array.from({ length: 47 }, (_, i) => String(900_000 + i));
    const impression = JSON.stringify({ type: "impression", sourceProductId: "11", productIds: ["11", ...invented, "12", "gid://shopify/Product/13"] });
    for (let i = 0; i < 3; i++) expect((await storefrontEventsHandler(beacon(url(), impression), deps())).status).toBe(204);
    expect((await storefrontEventsHandler(beacon(url(), '{"type":"click","productId":"12","sourceProductId":"11"}'), deps())).status).toBe(204);
    expect((await storefrontEventsHandler(beacon(url(), '{"type":"click","productId":"123456789"}'), deps())).status).toBe(204);
    expect(await today()).toBeNull(); // answered before any write: counts wait for the flush
    await batcher.flush();
    expect(await today()).toMatchObject({ impressions: 3, clicks: 2, photoSearches: 0 });
    expect(await productRows()).toEqual([["11", 3, 0], ["12", 3, 1], ["13", 3, 0]]);
  });

  it("answers 404 for a shop without a catalog, and writes nothing for it", async () => {
    const other = "no-catalog.myshopify.com";
    const res = await storefrontEventsHandler(beacon(url(other), '{"type":"impression","productIds":["11"]}'), deps());
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "shop_not_found" } });
    await batcher.flush();
    expect(await client.dailyStat.count({ where: { shopDomain: other } })).toBe(0);
  });

  it("limits a client by its address, with no X-Forwarded-For or a rotating first entry", async () => {
    const limits = new RateLimits(redis, { ...NO_LIMITS, events: { perShop: 0, perIp: 5 } });
    const limited = (clientAddress: string) => deps({ clientAddress, rateLimit: (s, address) => limits.check("events", s, address) });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const headers: Record<string, string> = i % 2 ? { "X-Forwarded-For": `198.51.100.${i}, 10.0.0.1` } : {};
      statuses.push((await storefrontEventsHandler(beacon(url(), '{"type":"photo_search"}', headers), limited(`${kind}-192.0.2.1`))).status);
    }
    expect(statuses).toEqual([204, 204, 204, 204, 204, 429, 429, 429]);
    // Another client of the same shop is not affected.
    expect((await storefrontEventsHandler(beacon(url(), '{"type":"photo_search"}'), limited(`${kind}-192.0.2.2`))).status).toBe(204);
  });

  it("refuses a chunked body over the cap with 413, without reading it all", async () => {
    let sent = 0;
    const chunk = new Uint8Array(1_024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 10 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const request = new Request(url(), { method: "POST", body: stream, duplex: "half", headers: { "Content-Type": "text/plain" } } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();
    const res = await storefrontEventsHandler(request, deps());
    expect(res.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(MAX_EVENT_BYTES + 8 * chunk.byteLength);
    // A declared Content-Length over the cap is refused too.
    expect((await storefrontEventsHandler(beacon(url(), "x".repeat(MAX_EVENT_BYTES + 1)), deps())).status).toBe(413);
  });

  it("handles signed beacons with 204 and refuses unsigned or bad ones", async () => {
    await batcher.flush();
    const before = await today();
    const ok = await storefrontEventsHandler(beacon(url(), '{"type":"photo_search"}'), deps());
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe("");
    await batcher.flush();
    const after = await today();
    expect((after?.photoSearches ?? 0) - (before?.photoSearches ?? 0)).toBe(1);

    expect((await storefrontEventsHandler(beacon(`http://localhost:3999/proxy/events?shop=${shop}`, '{"type":"photo_search"}'), deps())).status).toBe(401);
    expect((await storefrontEventsHandler(beacon(url(shop, "wrong-secret"), '{"type":"photo_search"}'), deps())).status).toBe(401);
    expect((await storefrontEventsHandler(beacon(url(), '{"type":"nope"}'), deps())).status).toBe(400);
    expect((await storefrontEventsHandler(new Request(url()), deps())).status).toBe(405);
    await batcher.flush();
    const final = await today();
    expect(final?.photoSearches).toBe(after?.photoSearches);
    // Only aggregates exist: no column could hold an address, agent or cookie.
    expect(Object.keys(final!).sort()).toEqual(["clicks", "day", "impressions", "photoSearches", "shopDomain"]);
  });
});
