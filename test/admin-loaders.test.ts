/**
 * Admin loaders and actions as plain functions: authenticated by the real `authenticate.admin`
 * of a `shopifyApp(testConfig())` (valid session-token requests pass, missing or forged ones are
 * refused), on a real test database (SQLite and PostgreSQL), with an in-memory ShopVectorIndex
 * standing in for the web process' live catalog and fakes for the queue and publisher.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedJobId } from "../app/queues/queues.server";
import { ApiVersion, shopifyApp } from "@shopify/shopify-app-remix/server";
import { testConfig } from "@shopify/shopify-app-remix/test-helpers";
import { API_KEY, API_SECRET_KEY, RequestType, setUpValidRequest, setUpValidSession, TEST_SHOP } from "@shopify/shopify-api/test-helpers";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import type { AdminDeps } from "../app/admin/admin-deps.server";
import { analyticsLoader } from "../app/admin/analytics.server";
import { homeLoader, themeEditorUrl } from "../app/admin/home.server";
import { insightsLoader, nearDuplicatePairs } from "../app/admin/insights.server";
import { previewAction, previewLoader } from "../app/admin/preview.server";
import { productsAction, productsLoader } from "../app/admin/products.server";
import { settingsAction, settingsLoader } from "../app/admin/settings.server";
import { EventBatcher } from "../app/analytics/event-batcher.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { DEFAULT_SETTINGS } from "../app/shops/shop-settings";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import type { LiveCard, LiveCatalog } from "../app/live-index/live-catalog";
import { rulesFromRows } from "../app/live-index/product-rules";
import { createTestDatabase, databaseKinds, type TestDatabase } from "./support/databases";

const kinds = await databaseKinds();
const shop = TEST_SHOP;
const BASE = "https://my-test-app.myshopify.io";

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v) || 1;
  return Float32Array.from(v.map((x) => x / n));
}

/** 8 products: 1 and 2 have identical photos (near-duplicates), 8 failed to embed. */
const PRODUCTS = [
  { id: "1", title: "Red Crew Tee", type: "T-Shirts", image: [1, 0, 0, 0], color: [1, 0, 0], text: [1, 0, 0] },
  { id: "2", title: "Red Crew Tee Copy", type: "T-Shirts", image: [1, 0, 0, 0], color: [1, 0.1, 0], text: [1, 0, 0] },
  { id: "3", title: "Blue Crew Tee", type: "T-Shirts", image: [0.9, 0.3, 0, 0], color: [0, 0, 1], text: [1, 0.2, 0] },
  { id: "4", title: "Red Tote Bag", type: "Bags", image: [0.2, 1, 0, 0], color: [1, 0, 0], text: [0, 1, 0] },
  { id: "5", title: "Blue Tote Bag", type: "Bags", image: [0, 1, 0.5, 0], color: [0, 0, 1], text: [0, 1, 0] },
  { id: "6", title: "Green Mug", type: "Mugs", image: [0, 0.2, 1, 0], color: [0, 1, 0], text: [0, 0, 1] },
  { id: "7", title: "Black Watch", type: "Watches", image: [0, 0, 0.2, 1], color: [0.3, 0.3, 0.3], text: [0, 0.3, 1] },
  { id: "8", title: "Broken Photo Lamp", type: "Lamps", image: null, color: null, text: null },
];

function liveCatalog(): LiveCatalog {
  const index = new ShopVectorIndex({ dims: { image: 4, color: 3, text: 3 }, weights: { image: 0.6, color: 0.15, text: 0.25 } });
  const cards = new Map<string, LiveCard>();
  for (const p of PRODUCTS) {
    if (!p.image) continue;
    index.upsert(p.id, { image: unit(p.image), color: unit(p.color!), text: unit(p.text!) }, { price: 20, available: true, productType: p.type, vendor: "", tags: [] });
    cards.set(p.id, { id: p.id, handle: `p-${p.id}`, title: p.title, price: "20.00", currency: "USD", image: null, url: `/products/p-${p.id}`, variantId: null, available: true, localImage: false });
  }
  return { shop, index, cards, version: 1, settings: DEFAULT_SETTINGS, rules: new Map() } as unknown as LiveCatalog;
}

describe.each(kinds)("admin loaders and actions on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;
  let deps: AdminDeps;
  const published: { shop: string }[] = [];
  const queued: { jobId?: string; data: unknown }[] = [];
  const shopify = () => shopifyApp(testConfig({ apiVersion: ApiVersion.January26, sessionStorage: new PrismaSessionStorage(db), future: { unstable_newEmbeddedAuthStrategy: true }, logger: { level: 0 } }));
  let app: ReturnType<typeof shopify>;

  const valid = async (path: string, init?: RequestInit) => setUpValidRequest({ type: RequestType.Bearer, store: "test-shop", apiKey: API_KEY, apiSecretKey: API_SECRET_KEY }, new Request(`${BASE}${path}`, init));
  const form = (fields: Record<string, string>) => ({ method: "POST", body: new URLSearchParams(fields) });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    app = shopify();
    await app.sessionStorage!.storeSession(setUpValidSession({ shop }));
    await db.shop.create({ data: { domain: shop } });
    for (const p of PRODUCTS) {
      await db.product.create({
        data: {
          shopDomain: shop, id: p.id, handle: `p-${p.id}`, title: p.title, productType: p.type, priceText: "20.00", price: 20,
          imageUrls: JSON.stringify([`https://cdn.shopify.com/${p.id}.jpg`]), shopifyUpdatedAt: new Date(), textHash: `t${p.id}`, imageHash: `i${p.id}`,
          embedState: p.image ? "embedded" : "failed", embedError: p.image ? null : "image could not be decoded: corrupt JPEG", modelId: p.image ? "mobilenetv2-int8" : null, embeddedAt: p.image ? new Date() : null,
        },
      });
    }
    const catalog = liveCatalog();
    deps = {
      authenticate: (request) => app.authenticate.admin(request),
      db,
      apiKey: API_KEY,
      apiSecret: API_SECRET_KEY,
      // As the web process' LiveCatalogs does on a version change: the shop's rules from the database.
      catalog: async () => Object.assign(catalog, { rules: rulesFromRows(await db.productRule.findMany({ where: { shopDomain: shop } })) }),
      queue: () =>
        ({
          getJob: async () => undefined,
          addBulk: async (jobs: { opts?: { jobId?: string }; data: unknown }[]) => void queued.push(...jobs.map((j) => ({ jobId: j.opts?.jobId, data: j.data }))),
        }) as never,
      publisher: () => ({ publish: async (_channel: string, message: string) => (published.push(JSON.parse(message)), 1) }) as never,
      embedder: async () => { throw new Error("no embedder in this test"); },
      startFullSync: null,
    };
  });

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it("refuses requests without a session token, with a forged one, and for a shop without a session", async () => {
    const loaders = [homeLoader, productsLoader, previewLoader, settingsLoader, analyticsLoader, insightsLoader];
    for (const loader of loaders) {
      const none = await loader({ request: new Request(`${BASE}/app`) }, deps).then(() => null, (e) => e);
      expect(none, loader.name).toBeInstanceOf(Response);
      expect((none as Response).status).toBeGreaterThanOrEqual(300);
      const forged = await setUpValidRequest({ type: RequestType.Bearer, store: "test-shop", apiKey: API_KEY, apiSecretKey: "not-the-secret" }, new Request(`${BASE}/app`));
      const bad = await loader({ request: forged }, deps).then(() => null, (e) => e);
      expect(bad).toBeInstanceOf(Response);
      expect((bad as Response).status).toBe(401);
    }
    for (const action of [productsAction, previewAction, settingsAction]) {
      const r = await action({ request: new Request(`${BASE}/app`, form({ intent: "retry", productId: "8" })) }, deps).then(() => null, (e) => e);
      expect(r).toBeInstanceOf(Response);
    }
    expect(await db.product.count({ where: { shopDomain: shop, embedState: "failed" } })).toBe(1);
  });

  it("home: counts, index health, model and the theme editor deep link", async () => {
    const home = await homeLoader({ request: await valid("/app") }, deps);
    expect(home.status.counts).toEqual({ products: 8, embedded: 7, failed: 1, pending: 0, outdated: 0 });
    expect(home.index).toMatchObject({ ready: true, searchable: 7, status: "healthy" });
    expect(home.status.models).toEqual([{ modelId: "mobilenetv2-int8", products: 7 }]);
    expect(home.themeEditorUrl).toBe(themeEditorUrl(shop, API_KEY));
    expect(home.themeEditorUrl).toBe(`https://${shop}/admin/themes/current/editor?template=product&addAppBlockId=${API_KEY}%2Fsimilar-products&target=mainSection`);
  });

  it("products: search, state filter, pagination, retry re-enqueues the failed product", async () => {
    const all = await productsLoader({ request: await valid("/app/products") }, deps);
    expect(all.total).toBe(8);
    expect(all.rows[0]).toMatchObject({ title: "Black Watch", embedState: "embedded", image: "https://cdn.shopify.com/7.jpg" });
    const search = await productsLoader({ request: await valid("/app/products?q=tote") }, deps);
    expect(search.rows.map((r) => r.title)).toEqual(["Blue Tote Bag", "Red Tote Bag"]);
    const failed = await productsLoader({ request: await valid("/app/products?state=failed") }, deps);
    expect(failed.rows).toEqual([expect.objectContaining({ id: "8", embedError: "image could not be decoded: corrupt JPEG" })]);
    const page9 = await productsLoader({ request: await valid("/app/products?page=9") }, deps);
    expect(page9.page).toBe(1);

    expect(await productsAction({ request: await valid("/app/products", form({ intent: "retry", productId: "1" })) }, deps)).toMatchObject({ ok: false });
    expect(await productsAction({ request: await valid("/app/products", form({ intent: "full_resync" })) }, deps)).toMatchObject({ ok: false });
    const res = await productsAction({ request: await valid("/app/products", form({ intent: "retry", productId: "8" })) }, deps);
    expect(res).toMatchObject({ ok: true, retried: 1 });
    expect(queued).toEqual([{ jobId: embedJobId(shop, "8", "t8", "i8"), data: { shop, productId: "8", runId: undefined } }]);
    expect(await db.product.findUnique({ where: { shopDomain_id: { shopDomain: shop, id: "8" } } })).toMatchObject({ embedState: "pending", embedError: null });
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "8" } }, data: { embedState: "failed", embedError: "image could not be decoded: corrupt JPEG" } });
  });

  it("preview: similar products with why they matched; pin and exclude are saved and applied", async () => {
    const empty = await previewLoader({ request: await valid("/app/preview?q=tee") }, deps);
    expect(empty.selected).toBeNull();
    expect(empty.choices.map((c) => c.title)).toEqual(["Blue Crew Tee", "Red Crew Tee", "Red Crew Tee Copy"]);
    const p = await previewLoader({ request: await valid("/app/preview?product=1") }, deps);
    expect(p.results[0]).toMatchObject({ id: "2", rule: null });
    expect(p.results[0].why.image).toBeGreaterThan(0.5);
    for (const r of p.results.filter((x) => x.score > 0.05)) expect(r.why.image + r.why.color + r.why.text).toBeCloseTo(1, 1);
    expect(p.results.map((r) => r.id)).not.toContain("1");

    const before = published.length;
    expect(await previewAction({ request: await valid("/app/preview", form({ intent: "pin", productId: "1", targetId: "7" })) }, deps)).toMatchObject({ ok: true });
    expect(await previewAction({ request: await valid("/app/preview", form({ intent: "exclude", productId: "1", targetId: "2" })) }, deps)).toMatchObject({ ok: true });
    expect(await previewAction({ request: await valid("/app/preview", form({ intent: "pin", productId: "1", targetId: "999" })) }, deps)).toMatchObject({ ok: false });
    expect(await previewAction({ request: await valid("/app/preview", form({ intent: "pin", productId: "1", targetId: "1" })) }, deps)).toMatchObject({ ok: false });
    expect(published.length - before).toBe(2);
    const rules = await db.productRule.findMany({ where: { shopDomain: shop, productId: "1" }, orderBy: { targetId: "asc" } });
    expect(rules.map((r) => [r.targetId, r.kind])).toEqual([["2", "exclude"], ["7", "pin"]]);
    const after = await previewLoader({ request: await valid("/app/preview?product=1") }, deps);
    expect(after.results[0]).toMatchObject({ id: "7", rule: "pin" });
    expect(after.results.map((r) => r.id)).not.toContain("2");
    expect(after.excluded.map((e) => e.id)).toEqual(["2"]);
    await previewAction({ request: await valid("/app/preview", form({ intent: "clear", productId: "1", targetId: "2" })) }, deps);
    expect(await db.productRule.count({ where: { shopDomain: shop, productId: "1" } })).toBe(1);
  });

  it("settings: invalid input is refused with field errors; valid input is saved, versioned and published", async () => {
    const loaded = await settingsLoader({ request: await valid("/app/settings") }, deps);
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.productTypes).toEqual(["Bags", "Lamps", "Mugs", "T-Shirts", "Watches"]);
    expect(loaded.preview?.candidates.length).toBe(6);
    const json = (body: unknown) => ({ method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
    const version = (await db.shop.findUniqueOrThrow({ where: { domain: shop } })).catalogVersion;

    const bad = await settingsAction({ request: await valid("/app/settings", json({ ...DEFAULT_SETTINGS, resultsCount: 99, weights: { image: 2, color: 0, text: 0 } })) }, deps);
    expect(bad).toMatchObject({ ok: false, errors: { resultsCount: expect.any(String), "weights.image": expect.any(String) } });
    expect((await db.shop.findUniqueOrThrow({ where: { domain: shop } })).catalogVersion).toBe(version);

    const next = { ...DEFAULT_SETTINGS, resultsCount: 12, hideOutOfStock: true, excludedTags: ["gift card"], weights: { image: 0.2, color: 0.5, text: 0.3 } };
    const before = published.length;
    expect(await settingsAction({ request: await valid("/app/settings", json(next)) }, deps)).toEqual({ ok: true, settings: next });
    expect((await db.shop.findUniqueOrThrow({ where: { domain: shop } })).catalogVersion).toBe(version + 1);
    expect(published.slice(before)).toEqual([{ shop, version: version + 1, at: expect.any(Number) }]);
    expect((await settingsLoader({ request: await valid("/app/settings") }, deps)).settings).toEqual(next);
  });

  it("analytics: per-day series, totals, CTR and top products", async () => {
    const now = new Date();
    const events = new EventBatcher(() => db, { flushMs: 60_000, maxPendingKeys: 1_000 });
    for (let i = 0; i < 10; i++) events.add(shop, { type: "impression", productIds: ["3", "4"] }, now);
    for (let i = 0; i < 3; i++) events.add(shop, { type: "click", productIds: ["4"] }, now);
    events.add(shop, { type: "photo_search", productIds: [] }, now);
    events.add(shop, { type: "impression", productIds: [] }, new Date(now.getTime() - 40 * 86_400_000));
    await events.close();
    const a = await analyticsLoader({ request: await valid("/app/analytics?days=7") }, deps);
    expect(a.series).toHaveLength(7);
    expect(a.series.at(-1)).toMatchObject({ impressions: 10, clicks: 3, photoSearches: 1, ctr: 0.3 });
    expect(a.totals).toEqual({ impressions: 10, clicks: 3, photoSearches: 1, ctr: 0.3 });
    expect(a.topClicked).toEqual([expect.objectContaining({ productId: "4", clicks: 3, impressions: 10, product: expect.objectContaining({ title: "Red Tote Bag" }) })]);
    expect(a.topRecommended.map((t) => t.productId).sort()).toEqual(["3", "4"]);
    expect((await analyticsLoader({ request: await valid("/app/analytics?days=90") }, deps)).totals.impressions).toBe(11);
  });

  it("insights: near-duplicate photos and failed products", async () => {
    const i = await insightsLoader({ request: await valid("/app/insights") }, deps);
    expect(i.duplicates.map((d) => [d.a.id, d.b.id])).toEqual([["1", "2"]]);
    expect(i.duplicates[0].similarity).toBeCloseTo(1, 2);
    expect(i.failed).toEqual([expect.objectContaining({ id: "8", reason: "image could not be decoded: corrupt JPEG" })]);
    const loose = nearDuplicatePairs(liveCatalog(), 0.9);
    expect(loose.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(["1-2", "1-3", "2-3"]);
  });
});
