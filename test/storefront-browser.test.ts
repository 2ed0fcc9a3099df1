/**
 * The storefront against the REAL app: the production web server and a worker in demo mode, a
 * catalog imported and embedded, the demo product page (`/demo/products/<handle>`, the theme
 * blocks' real Liquid) whose `/apps/lookalike/*` requests are signed as Shopify signs them and
 * forwarded to the real proxy routes. Debian Chromium via playwright-core, desktop and phone.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devices, type Browser, type Page } from "playwright-core";
import { type AppEnv } from "../scripts/lib/app-processes";
import type { Db } from "../app/db.server";
import { saveShopSettings } from "../app/shops/shop-settings.server";
import { DEFAULT_SETTINGS } from "../app/shops/shop-settings";
import { ARTIFACTS, DESKTOP_UA, hasChromium, launchChromium, LUMA_CATALOG, LUMA_DIR } from "./support/browser";
import { DemoApp } from "./support/demo-app";
import { FakeStorefrontApi, STOREFRONT_API_PATH, frenchTitle } from "./fake-shopify/fake-storefront-api";

const HAS_CHROMIUM = hasChromium("storefront browser test");
const HAS_LUMA = existsSync(LUMA_CATALOG);

interface Label { productId: string; queryImage?: string }
const numeric = (gid: string) => gid.split("/").pop()!;

describe.skipIf(!HAS_CHROMIUM)("storefront blocks against the real app in Chromium", () => {
  const shop = "storefront-browser.myshopify.com";
  let demo: DemoApp;
  let client: Db;
  let app: AppEnv;
  let browser: Browser;
  let handle: string;
  const pageErrors: string[] = [];
  let storefront: FakeStorefrontApi;

  const cards = (page: Page, scope: string) => page.locator(`${scope} .lookalike__card:not(.lookalike__card--skeleton)`);
  const prices = async (page: Page, scope: string) => (await cards(page, scope).locator(".lookalike__price").allInnerTexts()).map((t) => Number(t.replace(/[^0-9.]/g, "")));
  const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(ARTIFACTS, `storefront-app-${name}.png`), fullPage });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await DemoApp.create({ shop, tmpPrefix: "lookalike-sf-" });
    ({ client, app } = demo);
    const catalogFile = await demo.catalogFile();
    // Shopify's Storefront API for the storefront's markets: the local fake, for this catalog.
    storefront = FakeStorefrontApi.fromCatalogFile(catalogFile);
    app.env.DEMO_STOREFRONT_API_URL = await storefront.start();
    await Promise.all([demo.startWeb(), demo.startWorker()]);
    const imported = await demo.importCatalog(catalogFile, { wait: true });
    expect(imported.code, imported.stderr).toBe(0);
    handle = (await client.product.findFirstOrThrow({ where: { shopDomain: shop }, orderBy: { title: "asc" } })).handle;
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await storefront?.stop();
  });

  async function openProduct(kind: "desktop" | "phone"): Promise<Page> {
    const ctx = kind === "desktop"
      ? await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA })
      : await browser.newContext({ ...devices["Pixel 7"], userAgent: devices["Pixel 7"].userAgent.replace("HeadlessChrome", "Chrome") });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${app.baseUrl}/demo/products/${handle}`, { waitUntil: "networkidle" });
    return page;
  }

  it("the merchant's settings reach the storefront: each block off and on, the number of results, an exclusion", async () => {
    const save = async (patch: Record<string, unknown>) => {
      const r = await saveShopSettings(client, null, shop, { ...structuredClone(DEFAULT_SETTINGS), ...patch });
      expect(r.ok).toBe(true);
    };
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    const page = await ctx.newPage();
    const state = async () => {
      await page.goto(`${app.baseUrl}/demo/products/${handle}`, { waitUntil: "networkidle" });
      await page.waitForFunction(() => document.querySelector("[data-lookalike-similar]")?.getAttribute("aria-busy") === "false", null, { timeout: 15_000 });
      return page.evaluate(() => ({
        similar: !(document.querySelector("[data-lookalike-similar]") as HTMLElement).hidden,
        photo: !!(document.querySelector(".lookalike-photo-block") as HTMLElement | null)?.checkVisibility(),
        launcher: !!(document.querySelector("[data-lookalike-launcher]") as HTMLElement | null)?.checkVisibility(),
        titles: Array.from(document.querySelectorAll("[data-lookalike-similar] .lookalike__card:not(.lookalike__card--skeleton) .lookalike__title")).map((t) => t.textContent ?? ""),
      }));
    };
    // Proxy answers may be cached 30 s by a browser; routing turns Chromium's HTTP cache off, so each look is a new visitor's.
    await page.route("**/*", (r) => r.continue());
    const look = state;
    try {
      await save({ blocks: { similar: false, photoSearch: false, launcher: false } });
      await expect.poll(async () => { const s = await look(); return [s.similar, s.photo, s.launcher]; }, { timeout: 20_000 }).toEqual([false, false, false]);
      await shot(page, "settings-all-off");
      await save({ blocks: { similar: true, photoSearch: false, launcher: true } });
      await expect.poll(async () => { const s = await look(); return [s.similar, s.photo, s.launcher]; }, { timeout: 20_000 }).toEqual([true, false, true]);
      await save({ blocks: { similar: false, photoSearch: true, launcher: false } });
      await expect.poll(async () => { const s = await look(); return [s.similar, s.photo, s.launcher]; }, { timeout: 20_000 }).toEqual([false, true, false]);

      // Number of results and an exclusion: the block shows the shop's count, never the excluded type.
      await save({ resultsCount: 3 });
      await expect.poll(async () => (await look()).titles.length, { timeout: 20_000 }).toBe(3);
      const shown = (await look()).titles;
      const excludedType = (await client.product.findFirstOrThrow({ where: { shopDomain: shop, title: shown[0] } })).productType;
      expect(excludedType).not.toBe("");
      await save({ resultsCount: 5, excludedProductTypes: [excludedType] });
      await expect.poll(async () => (await look()).titles.length, { timeout: 20_000 }).toBe(5);
      const after = (await look()).titles;
      const types = await client.product.findMany({ where: { shopDomain: shop, title: { in: after } }, select: { productType: true } });
      expect(types.map((t) => t.productType)).not.toContain(excludedType);
      await shot(page, "settings-5-excluded");
    } finally {
      await save({});
      await ctx.close();
    }
  }, 240_000);

  it("shows similar products on the product page (desktop and phone), and counts the impression", async () => {
    for (const kind of ["desktop", "phone"] as const) {
      const page = await openProduct(kind);
      await expect.poll(() => cards(page, "[data-lookalike-similar]").count(), { timeout: 15_000 }).toBeGreaterThan(3);
      const titles = await cards(page, "[data-lookalike-similar]").locator(".lookalike__title").allInnerTexts();
      expect(titles.every((t) => t.trim().length > 0)).toBe(true);
      await page.locator("[data-lookalike-similar]").scrollIntoViewIfNeeded();
      await page.waitForLoadState("networkidle");
      await shot(page, kind);
      await page.context().close();
    }
    await expect.poll(async () => (await client.dailyStat.findFirst({ where: { shopDomain: shop } }))?.impressions ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await client.productDailyStat.count({ where: { shopDomain: shop } })).toBeGreaterThan(3);
  }, 120_000);

  it("a shopper switching to France on a French page: euro prices from Shopify's Storefront API, French titles and links, one request a page", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const storefrontRequests: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === STOREFRONT_API_PATH) storefrontRequests.push(r.url());
    });
    const hydrated = () => page.waitForSelector("[data-lookalike-similar][data-lookalike-market]", { timeout: 20_000 });
    const shown = () =>
      page.$$eval("[data-lookalike-similar] .lookalike__card:not(.lookalike__card--skeleton)", (lis) =>
        lis.map((li) => ({
          title: li.querySelector(".lookalike__title")?.textContent ?? "",
          href: li.querySelector("a")?.getAttribute("href") ?? "",
          price: (li.querySelector(".lookalike__sale") ?? li.querySelector(".lookalike__price"))?.textContent ?? "",
        })),
      );
    try {
      await page.goto(`${app.baseUrl}/fr/products/${handle}`, { waitUntil: "networkidle" });
      await hydrated();
      expect(await page.getAttribute("[data-lookalike-similar]", "data-lookalike-market")).toBe("shopify");
      expect(storefrontRequests).toHaveLength(1);

      // The header's country/region switch: France.
      await Promise.all([page.waitForURL(/country=FR/), page.selectOption("#localization-country", "FR")]);
      await hydrated();
      expect(storefrontRequests).toHaveLength(2);
      const cards = await shown();
      expect(cards.length).toBeGreaterThan(3);
      const euros = (amount: string) => new Intl.NumberFormat("fr", { style: "currency", currency: "EUR" }).format(Number(amount));
      for (const c of cards) {
        const m = c.href.match(/^\/fr\/products\/fr-([^?]+)$/);
        expect(m, c.href).not.toBeNull();
        const row = await client.product.findFirstOrThrow({ where: { shopDomain: shop, handle: decodeURIComponent(m![1]) } });
        const truth = storefront.productIn(row.id, "FR", "FR")!;
        expect(c.title).toBe(frenchTitle(row.title));
        expect(c.price).toBe(euros(truth.price.amount));
      }
      await shot(page, "market-fr");

      // A card's link opens the French page of that product, still in France (the localization cookie).
      await Promise.all([page.waitForURL(/\/fr\/products\/fr-/), page.locator("[data-lookalike-similar] a.lookalike__link").first().click()]);
      expect(await page.locator("h1.product__title").textContent()).toBe(cards[0].title);
      expect(await page.locator(".product__price").textContent()).toContain("€");
      await hydrated();
      expect((await shown()).every((c) => c.price.includes("€") && !c.price.includes("$"))).toBe(true);
      expect(storefrontRequests).toHaveLength(3);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it.skipIf(!HAS_LUMA)("the similar block's \"Also in other colours\" row on the demo storefront: same type, one proxy and one Storefront request for both rows; hidden where there is none", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const proxied: URL[] = [];
    const storefrontRequests: string[] = [];
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.pathname === STOREFRONT_API_PATH) storefrontRequests.push(r.url());
      if (u.pathname.endsWith("/apps/lookalike/similar")) proxied.push(u);
    });
    const rowCards = () => page.locator("[data-lookalike-colours] .lookalike__card:not(.lookalike__card--skeleton)");
    try {
      // luma-dev lists colours as variants, so the row shows look-alike items of the same type in other colours
      // (for the Chaz hoodie: another hoodie); a shop that lists each colour as a product gets its other colours.
      const source = await client.product.findFirstOrThrow({ where: { shopDomain: shop, id: "8100000001" } });
      await page.goto(`${app.baseUrl}/demo/products/${source.handle}?colours=1`, { waitUntil: "networkidle" });
      await page.waitForSelector("[data-lookalike-similar][data-lookalike-market]", { timeout: 20_000 });
      expect(proxied).toHaveLength(1);
      expect(proxied[0].searchParams.get("colours")).toBe("4");
      expect(storefrontRequests).toHaveLength(1);
      expect(await page.locator("[data-lookalike-colours]").isVisible()).toBe(true);
      expect(await page.locator("[data-lookalike-colours] .lookalike__subheading").textContent()).toBe("Also in other colours");
      expect(await rowCards().count()).toBeGreaterThan(0);
      expect(await page.locator("[data-lookalike-colours] .lookalike__card--skeleton").count()).toBe(0);
      for (const href of await rowCards().locator("a.lookalike__link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""))) {
        const h = decodeURIComponent(href.replace(/^.*\/products\//, "").replace(/\?.*$/, ""));
        const row = await client.product.findFirstOrThrow({ where: { shopDomain: shop, handle: h } });
        expect(row.id).not.toBe(source.id);
        expect(row.productType).toBe(source.productType);
      }
      // Prices in the row are the market's, from the same Storefront answer as the similar cards'.
      expect((await rowCards().locator(".lookalike__price").allInnerTexts()).every((t) => t.includes("$"))).toBe(true);
      expect(await cards(page, "[data-lookalike-grid]").count()).toBeGreaterThan(3);
      await shot(page, "other-colours");

      // A product with nothing near enough in another colour: the row goes, the similar products stay.
      const lonely = await client.product.findFirstOrThrow({ where: { shopDomain: shop, id: "8100000002" } });
      await page.goto(`${app.baseUrl}/demo/products/${lonely.handle}?colours=1`, { waitUntil: "networkidle" });
      await page.waitForSelector("[data-lookalike-similar][data-lookalike-market]", { timeout: 20_000 });
      expect(await page.locator("[data-lookalike-colours]").isVisible()).toBe(false);
      expect(await cards(page, "[data-lookalike-grid]").count()).toBeGreaterThan(3);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it.skipIf(!HAS_LUMA)("a shopper's photo finds the right product; the price filter narrows the results", async () => {
    const labels: Label[] = readFileSync(path.join(LUMA_DIR, "labels.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const label = labels.find((l) => l.queryImage && existsSync(path.join(LUMA_DIR, l.queryImage)))!;
    const target = await client.product.findFirstOrThrow({ where: { shopDomain: shop, id: numeric(label.productId) } });
    for (const kind of ["desktop", "phone"] as const) {
      const page = await openProduct(kind);
      await page.locator("[data-lookalike-photo-open]").first().click();
      await expect.poll(() => page.locator(".lookalike-modal__panel").isVisible()).toBe(true);
      await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles(path.join(LUMA_DIR, label.queryImage!));
      await expect.poll(() => cards(page, ".lookalike-results").count(), { timeout: 20_000 }).toBeGreaterThan(3);
      const hrefs = await cards(page, ".lookalike-results").locator("a.lookalike__link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
      expect(hrefs.slice(0, 10).some((h) => h.endsWith(`/products/${target.handle}`) || h.includes(target.handle))).toBe(true);
      await shot(page, `${kind}-photo-search`, false);

      const before = await prices(page, ".lookalike-results");
      const sorted = [...before].sort((a, b) => a - b);
      const lo = sorted[Math.floor(sorted.length / 4)];
      const hi = sorted[Math.floor((sorted.length * 3) / 4)];
      await page.locator('.lookalike-filters input[name="min_price"]').fill(String(lo));
      await page.locator('.lookalike-filters input[name="max_price"]').fill(String(hi));
      await page.locator(".lookalike-filters__apply").click();
      await expect.poll(async () => { const ps = await prices(page, ".lookalike-results"); return ps.length > 0 && ps.every((p) => p >= lo - 0.001 && p <= hi + 0.001); }, { timeout: 20_000 }).toBe(true);
      const after = await prices(page, ".lookalike-results");
      expect(after.length).toBeGreaterThan(0);
      expect(before.some((p) => p < lo || p > hi)).toBe(true); // the filter really removed something
      await shot(page, `${kind}-price-filter`, false);
      await page.context().close();
    }
    await expect.poll(async () => (await client.dailyStat.findFirst({ where: { shopDomain: shop } }))?.photoSearches ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
