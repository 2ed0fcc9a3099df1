/**
 * Storefront events: validation, atomic daily aggregates on both databases, and the signed
 * `POST /proxy/events` handler (204, unsigned and bad bodies refused, no shopper data stored).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { signAppProxyQuery } from "../demo/app-proxy-signature";
import { createPrismaClient, type Db } from "../db.server";

const SECRET = "events-test-secret";
process.env.SHOPIFY_API_KEY = "events-test-key";
process.env.SHOPIFY_API_SECRET = SECRET;
process.env.SHOPIFY_APP_URL = "http://localhost:3999";

const { parseStorefrontEvent, recordStorefrontEvent, storefrontEventsHandler, utcDay } = await import("./storefront-events.server");
const kinds = await databaseKinds();
const shop = "events-shop.myshopify.com";

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
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    client = createPrismaClient(database.url);
  });
  afterAll(async () => {
    await client?.$disconnect();
    await database?.drop();
  });

  it("counts concurrent events exactly, per UTC day, per product", async () => {
    const at = new Date("2026-03-01T23:59:59Z");
    await Promise.all([
      ...Array.from({ length: 20 }, () => recordStorefrontEvent(client, shop, { type: "impression", sourceProductId: "9", productIds: ["1", "2"] }, at)),
      ...Array.from({ length: 7 }, () => recordStorefrontEvent(client, shop, { type: "click", productId: "2", sourceProductId: "9" }, at)),
      ...Array.from({ length: 3 }, () => recordStorefrontEvent(client, shop, { type: "photo_search" }, at)),
      recordStorefrontEvent(client, shop, { type: "click", productId: "1" }, new Date("2026-03-02T00:00:01Z")),
    ]);
    const days = await client.dailyStat.findMany({ where: { shopDomain: shop }, orderBy: { day: "asc" } });
    expect(days).toEqual([
      { shopDomain: shop, day: "2026-03-01", impressions: 20, clicks: 7, photoSearches: 3 },
      { shopDomain: shop, day: "2026-03-02", impressions: 0, clicks: 1, photoSearches: 0 },
    ]);
    const products = await client.productDailyStat.findMany({ where: { shopDomain: shop, day: "2026-03-01" }, orderBy: { productId: "asc" } });
    expect(products.map((p) => [p.productId, p.impressions, p.clicks])).toEqual([["1", 20, 0], ["2", 20, 7]]);
  });

  it("handles signed beacons with 204 and refuses unsigned or bad ones", async () => {
    const url = (params: Record<string, string> = {}, secret = SECRET) => `http://localhost:3999/proxy/events?${signAppProxyQuery(new URLSearchParams(params), { shop, secret })}`;
    const beacon = (u: string, body: string) => new Request(u, { method: "POST", body, headers: { "Content-Type": "text/plain;charset=UTF-8", "User-Agent": "Mozilla/5.0", "X-Forwarded-For": "203.0.113.7" } });
    const before = await client.dailyStat.findUnique({ where: { shopDomain_day: { shopDomain: shop, day: utcDay() } } });
    const ok = await storefrontEventsHandler(beacon(url(), '{"type":"photo_search"}'), () => client);
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe("");
    const after = await client.dailyStat.findUnique({ where: { shopDomain_day: { shopDomain: shop, day: utcDay() } } });
    expect((after?.photoSearches ?? 0) - (before?.photoSearches ?? 0)).toBe(1);

    expect((await storefrontEventsHandler(beacon(`http://localhost:3999/proxy/events?shop=${shop}`, '{"type":"photo_search"}'), () => client)).status).toBe(401);
    expect((await storefrontEventsHandler(beacon(url({}, "wrong-secret"), '{"type":"photo_search"}'), () => client)).status).toBe(401);
    expect((await storefrontEventsHandler(beacon(url(), '{"type":"nope"}'), () => client)).status).toBe(400);
    expect((await storefrontEventsHandler(new Request(url()), () => client)).status).toBe(405);
    const final = await client.dailyStat.findUnique({ where: { shopDomain_day: { shopDomain: shop, day: utcDay() } } });
    expect(final?.photoSearches).toBe(after?.photoSearches);
    // Only aggregates exist: no column could hold an address, agent or cookie.
    expect(Object.keys(final!).sort()).toEqual(["clicks", "day", "impressions", "photoSearches", "shopDomain"]);
  });
});
