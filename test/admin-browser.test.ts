/**
 * The embedded admin in a real browser: the production web server and a worker in demo mode
 * (LOOKALIKE_DEMO=1, the real `authenticate.admin` with minted session tokens), Debian Chromium
 * via playwright-core. Watches the Home progress bar move while a real import is embedded, then
 * opens every page through /demo/admin?to=/app/<page>, exercises its main action and saves a
 * desktop screenshot to test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type AppEnv } from "../scripts/lib/app-processes";
import type { Db } from "../app/db.server";
import { ARTIFACTS, DESKTOP_UA, hasChromium, launchChromium } from "./support/browser";
import { DemoApp } from "./support/demo-app";

const HAS_CHROMIUM = hasChromium("admin browser test");

describe.skipIf(!HAS_CHROMIUM)("embedded admin in Chromium", () => {
  const shop = "admin-browser.myshopify.com";
  let demo: DemoApp;
  let client: Db;
  let app: AppEnv;
  let browser: Browser;
  let page: Page;
  let catalogFile: string;
  const errors: string[] = [];

  const open = async (to: string) => {
    await page.goto(`${app.baseUrl}/demo/admin?to=${encodeURIComponent(to)}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.locator(".Polaris-Page").count()).toBeGreaterThan(0);
    expect(await page.getByText("This page could not be loaded").count(), `error state on ${to}`).toBe(0);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await DemoApp.create({ shop, tmpPrefix: "lookalike-admin-", installShop: true, env: { WORKER_CONCURRENCY: "1" } });
    ({ client, app } = demo);
    // The real catalog (127 products, real photos) gives the progress bar time to be seen moving.
    catalogFile = await demo.catalogFile();
    await demo.startWeb();
    browser = await launchChromium();
    // shopify-app-remix answers bots (HeadlessChrome's user agent) with 410: browse as a desktop Chrome.
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    page.on("pageerror", (e) => errors.push(String(e)));
    if (process.env.DEBUG_ADMIN) {
      page.on("console", (m) => console.log("[console]", m.text()));
      page.on("response", (r) => r.url().includes("_data") && console.log("[response]", r.request().method(), r.status(), r.url().slice(0, 120)));
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it("admin pages may be framed only by the shop's admin (Content-Security-Policy frame-ancestors)", async () => {
    const redirect = await fetch(`${app.baseUrl}/demo/admin?to=/app`, { redirect: "manual", headers: { "User-Agent": DESKTOP_UA } });
    const res = await fetch(`${app.baseUrl}${redirect.headers.get("location")}`, { headers: { "User-Agent": DESKTOP_UA } });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors");
    expect(csp).toContain(`https://${shop}`);
    expect(csp).toContain("https://admin.shopify.com");
    // Every allowed framer is the shop itself or one of Shopify's admin hosts (as shopify-app-remix sets it).
    const sources = /frame-ancestors ([^;]*)/.exec(csp)![1].trim().split(/\s+/);
    for (const src of sources) expect(src).toMatch(/^https:\/\/([\w*.-]+\.)?(myshopify\.com|shopify\.com|myshopify\.io|spin\.dev|shop\.dev)$/);
  });

  it("Home shows the empty catalog, then the progress bar moving while a real import is embedded", async () => {
    await open("/app");
    await expect.poll(() => page.getByText(/No products synced yet/).count()).toBe(1);
    await shot("home-empty");

    const imported = await demo.importCatalog(catalogFile);
    expect(imported.code, imported.stderr).toBe(0);
    await open("/app");
    expect(await page.locator('[data-testid="sync-progress"]').getAttribute("data-progress")).toBe("0");
    await demo.startWorker();

    const seen: number[] = [];
    let midShot = false;
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const v = Number(await page.locator('[data-testid="sync-progress"]').getAttribute("data-progress"));
      if (seen.at(-1) !== v) seen.push(v);
      if (!midShot && v > 10 && v < 90) {
        await shot("home-syncing");
        midShot = true;
      }
      if (v === 100) break;
      await page.waitForTimeout(250);
    }
    console.log(`[admin browser test] progress values seen: ${seen.join(" → ")}`);
    expect(seen.at(-1)).toBe(100);
    expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThanOrEqual(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen); // never goes backwards
    await expect.poll(() => page.getByText("All products processed").count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.getByText("Healthy").count(), { timeout: 10_000 }).toBe(1);
    await shot("home");
  }, 400_000);

  it("Products: searchable, paginated table with states", async () => {
    await open("/app/products");
    expect(await page.locator(".Polaris-IndexTable__TableRow").count()).toBe(25);
    await page.screenshot({ path: path.join(ARTIFACTS, "admin-products.png") });
    await page.getByPlaceholder("Search by title, type or id").fill("zzz-no-such-product");
    await expect.poll(() => page.getByText("No products match").count()).toBe(1);
    await page.getByPlaceholder("Search by title, type or id").fill("");
    await expect.poll(() => page.locator(".Polaris-IndexTable__TableRow").count()).toBe(25);
    await page.getByLabel("Next").click();
    await expect.poll(() => page.getByText(/Page 2 of/).count()).toBe(1);
  });

  it("Preview: similar products with why they matched; pin writes a rule", async () => {
    const first = await client.product.findFirstOrThrow({ where: { shopDomain: shop, embedState: "embedded" }, orderBy: { title: "asc" } });
    await open("/app/preview");
    await expect.poll(() => page.getByText("Pick a product to preview").count()).toBe(1);
    await page.getByLabel("Pick a product").fill(first.title);
    await page.locator(".Polaris-ResourceItem").filter({ hasText: first.title }).first().click();
    const results = page.locator('[data-testid="similar-results"] [data-testid="result-card"]');
    await expect.poll(() => results.count(), { timeout: 15_000 }).toBe(8); // the default "number of results" setting
    await page.waitForLoadState("networkidle"); // the typing debounce may still navigate once on a slow machine
    expect(await page.getByText(/Image \d+%/).count()).toBeGreaterThan(0);
    await results.first().getByRole("button", { name: "Pin" }).click();
    await expect.poll(() => page.getByText("Pinned to the top").count()).toBeGreaterThan(0);
    expect(await client.productRule.count({ where: { shopDomain: shop, productId: first.id, kind: "pin" } })).toBe(1);
    await expect.poll(() => page.getByText("Pinned", { exact: true }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot("preview");
  });

  it("Settings: saves per shop with a toast", async () => {
    await open("/app/settings");
    await expect.poll(() => page.locator('[data-testid="weights-preview"] img').count()).toBeGreaterThan(0);
    await page.getByLabel("Hide products that are out of stock").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByText(/Settings saved/).count()).toBe(1);
    const row = await client.shop.findUniqueOrThrow({ where: { domain: shop } });
    expect(JSON.parse(row.settings)).toMatchObject({ hideOutOfStock: true });
    await shot("settings");
  });

  it("Analytics: per-day chart, totals and top products from storefront events", async () => {
    const products = await client.product.findMany({ where: { shopDomain: shop }, take: 4, orderBy: { title: "asc" } });
    const send = (body: unknown) => fetch(`${app.baseUrl}/apps/lookalike/events`, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "text/plain;charset=UTF-8" } });
    for (let i = 0; i < 12; i++) expect((await send({ type: "impression", sourceProductId: products[0].id, productIds: products.slice(1).map((p) => p.id) })).status).toBe(204);
    for (let i = 0; i < 3; i++) await send({ type: "click", productId: products[1].id, sourceProductId: products[0].id });
    await send({ type: "click", productId: products[2].id });
    await send({ type: "photo_search" });
    // Events are counted in batches written every EVENTS_FLUSH_MS (2 s): reload until they are in.
    await expect
      .poll(async () => {
        await open("/app/analytics");
        return page.getByText("33.3%").count();
      }, { timeout: 20_000, interval: 500 })
      .toBeGreaterThan(0);
    expect(await page.locator('svg[aria-label^="Impressions and clicks per day"] rect').count()).toBe(30);
    await shot("analytics");
  });

  it("Catalog insights: near-duplicates and failures", async () => {
    await open("/app/insights");
    await expect.poll(() => page.getByText("Duplicate or near-duplicate photos").count()).toBe(1);
    await page.getByLabel("Photo similarity").selectOption("0.9");
    await expect.poll(() => page.url()).toContain("threshold=0.9");
    await expect.poll(() => page.getByText("Photos that could not be processed").count()).toBe(1);
    await page.waitForLoadState("networkidle");
    await shot("insights");
    expect(errors).toEqual([]);
  });
});
