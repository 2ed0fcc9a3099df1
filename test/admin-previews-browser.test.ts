/**
 * The admin's two previews follow the shop's settings, in a real browser: the production web
 * server and a worker in demo mode (LOOKALIKE_DEMO=1, minted session tokens), Debian Chromium via
 * playwright-core. On the Settings page the merchant moves "Number of results" and excludes a
 * product type that the preview is showing, saves, and the Settings page's own preview, the
 * Preview page's similar products and its photo search all show exactly that many results and
 * none of the excluded type; a second count is followed too. Product ids are read from the DOM
 * (data-product-id) and their types from the database, never from what the page says about them.
 * Screenshots go to test-artifacts/admin-previews-*.png.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ROOT, type AppEnv } from "../scripts/lib/app-processes";
import type { Db } from "../app/db.server";
import { ARTIFACTS, DESKTOP_UA, hasChromium, launchChromium, LUMA_CATALOG } from "./support/browser";
import { DemoApp } from "./support/demo-app";

const HAS_CHROMIUM = hasChromium("admin previews browser test");

/** Counts that neither the default (8), the Preview page's fallback (12) nor the old hard-coded preview (6) would produce. */
const FIRST_COUNT = 3;
const SECOND_COUNT = 10;

describe.skipIf(!HAS_CHROMIUM)("admin previews follow the shop's settings (Chromium)", () => {
  const shop = "admin-previews.myshopify.com";
  let demo: DemoApp;
  let client: Db;
  let app: AppEnv;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  /** The Settings page's sample product, previewed on the Preview page too. */
  let sample: { id: string; title: string; photo: string };
  let excludedType: string;

  const open = async (to: string) => {
    await page.goto(`${app.baseUrl}/demo/admin?to=${encodeURIComponent(to)}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.locator(".Polaris-Page").count()).toBeGreaterThan(0);
    expect(await page.getByText("This page could not be loaded").count(), `error state on ${to}`).toBe(0);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `admin-previews-${name}.png`), fullPage: true });
  const idsIn = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute("data-product-id") ?? ""));
  const typesOf = async (ids: string[]) => {
    const rows = await client.product.findMany({ where: { shopDomain: shop, id: { in: ids } }, select: { id: true, productType: true } });
    const byId = new Map(rows.map((r) => [r.id, r.productType]));
    return ids.map((id) => byId.get(id) ?? `<unknown ${id}>`);
  };
  const SETTINGS_ITEMS = '[data-testid="weights-preview"] [data-testid="weights-preview-item"]';
  const SIMILAR_CARDS = '[data-testid="similar-results"] [data-testid="result-card"]';
  const PHOTO_CARDS = '[data-testid="photo-results"] [data-testid="result-card"]';

  /** Sets "Number of results" as a merchant does with the keyboard: Home (1), then → up to n. */
  const setResultsCount = async (n: number) => {
    const slider = page.getByLabel("Number of results");
    await slider.focus();
    await slider.press("Home");
    for (let i = 1; i < n; i++) await slider.press("ArrowRight");
    expect(await slider.inputValue()).toBe(String(n));
  };
  const save = async () => {
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByText(/Settings saved/).count()).toBe(1);
  };

  /** The Settings page, freshly loaded: its preview lists exactly n products, none of the excluded type. */
  const expectSettingsPreview = async (n: number) => {
    await open("/app/settings");
    await expect.poll(() => page.locator(SETTINGS_ITEMS).count(), { timeout: 10_000 }).toBe(n);
    expect(await page.getByLabel("Number of results").inputValue()).toBe(String(n));
    expect(await page.getByText(`Similar to ${sample.title} with these settings (${n} of ${n})`).count()).toBe(1);
    const ids = await idsIn(SETTINGS_ITEMS);
    expect(new Set(ids).size).toBe(n);
    expect(ids).not.toContain(sample.id);
    expect((await typesOf(ids)).map((t) => t.toLowerCase())).not.toContain(excludedType.toLowerCase());
    return ids;
  };

  /** The Preview page for the sample: n similar products and n photo-search results, none of the excluded type. */
  const expectPreviewPage = async (n: number, name: string) => {
    expect(sample, "the Settings test chose the sample product").toBeDefined();
    await open("/app/preview");
    await page.getByLabel("Pick a product").fill(sample.title);
    await page.locator(".Polaris-ResourceItem").filter({ hasText: sample.title }).first().click();
    await expect.poll(() => page.url()).toContain(`product=${sample.id}`);
    await expect.poll(() => page.locator(SIMILAR_CARDS).count(), { timeout: 15_000 }).toBe(n);
    await page.waitForLoadState("networkidle"); // the typing debounce may still navigate once on a slow machine
    expect(await page.locator(SIMILAR_CARDS).count()).toBe(n);
    const similar = await idsIn(SIMILAR_CARDS);
    expect(new Set(similar).size).toBe(n);
    expect(similar).not.toContain(sample.id);
    expect((await typesOf(similar)).map((t) => t.toLowerCase())).not.toContain(excludedType.toLowerCase());

    // Search by photo with the sample's own photo: the same number of results and exclusions.
    await page.locator('[data-testid="photo-results"]').scrollIntoViewIfNeeded();
    await page.locator('input[type="file"]').setInputFiles(sample.photo);
    await expect.poll(() => page.locator(PHOTO_CARDS).count(), { timeout: 30_000 }).toBe(n);
    const photo = await idsIn(PHOTO_CARDS);
    expect(new Set(photo).size).toBe(n);
    expect((await typesOf(photo)).map((t) => t.toLowerCase())).not.toContain(excludedType.toLowerCase());
    await page.waitForLoadState("networkidle");
    await shot(name);
    return { similar, photo };
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await DemoApp.create({ shop, tmpPrefix: "lookalike-previews-", installShop: true });
    ({ client, app } = demo);
    const catalogFile = await demo.catalogFile(48);
    await Promise.all([demo.startWeb(), demo.startWorker()]);
    const imported = await demo.importCatalog(catalogFile, { wait: true, timeoutMs: 400_000 });
    expect(imported.code, imported.stderr).toBe(0);
    console.log(`[admin previews browser test] catalog ${path.relative(ROOT, catalogFile)}: ${imported.stdout.trim().split("\n").at(-1)}`);
    browser = await launchChromium();
    // shopify-app-remix answers bots (HeadlessChrome's user agent) with 410: browse as a desktop Chrome.
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    page.on("pageerror", (e) => errors.push(String(e)));
  }, 500_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it("Settings: a new number of results and an excluded type, saved, shape the Settings page's own preview", async () => {
    await open("/app/settings");
    // Default settings: 8 results; the type to exclude is the one the preview shows most.
    await expect.poll(() => page.locator(SETTINGS_ITEMS).count(), { timeout: 10_000 }).toBe(8);
    const before = await idsIn(SETTINGS_ITEMS);
    const types = await typesOf(before);
    const counts = new Map<string, number>();
    for (const t of types) if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
    excludedType = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const title = (await page.locator('[data-testid="weights-preview"]').locator("xpath=..").getByText(/^Similar to /).textContent()) ?? "";
    const sampleTitle = /^Similar to (.*) with these settings/.exec(title)?.[1] ?? "";
    const row = await client.product.findFirstOrThrow({ where: { shopDomain: shop, title: sampleTitle }, select: { id: true, title: true, imageUrls: true } });
    const first = (JSON.parse(row.imageUrls) as string[])[0];
    sample = { id: row.id, title: row.title, photo: first.startsWith("file:") ? fileURLToPath(first) : path.resolve(path.dirname(LUMA_CATALOG), first) };
    expect(existsSync(sample.photo), sample.photo).toBe(true);
    console.log(`[admin previews browser test] sample "${sample.title}"; default preview types: ${types.join(", ")}; excluding "${excludedType}"`);
    await shot("settings-default");

    await setResultsCount(FIRST_COUNT);
    await page.getByLabel("Never recommend these product types").fill(excludedType);
    // The live preview follows the form before saving…
    await expect.poll(() => page.locator(SETTINGS_ITEMS).count()).toBe(FIRST_COUNT);
    await save();
    const stored = await client.shop.findUniqueOrThrow({ where: { domain: shop } });
    expect(JSON.parse(stored.settings)).toMatchObject({ resultsCount: FIRST_COUNT, excludedProductTypes: [excludedType] });
    // …and, reloaded, the saved settings drive it.
    await expectSettingsPreview(FIRST_COUNT);
    expect(await page.getByLabel("Never recommend these product types").inputValue()).toBe(excludedType);
    await shot("settings-3");
  });

  it("Preview: the same number of results and no excluded product, in similar products and photo search", async () => {
    const { similar } = await expectPreviewPage(FIRST_COUNT, "preview-3");
    console.log(`[admin previews browser test] Preview page ${FIRST_COUNT}: ${(await typesOf(similar)).join(", ")}`);
  });

  it("a second number of results: both previews follow", async () => {
    await open("/app/settings");
    await setResultsCount(SECOND_COUNT);
    await expect.poll(() => page.locator(SETTINGS_ITEMS).count()).toBe(SECOND_COUNT);
    await save();
    expect(JSON.parse((await client.shop.findUniqueOrThrow({ where: { domain: shop } })).settings)).toMatchObject({ resultsCount: SECOND_COUNT, excludedProductTypes: [excludedType] });
    const settingsIds = await expectSettingsPreview(SECOND_COUNT);
    await shot("settings-10");
    const { similar } = await expectPreviewPage(SECOND_COUNT, "preview-10");
    const shared = similar.filter((id) => settingsIds.includes(id)).length;
    console.log(`[admin previews browser test] ${SECOND_COUNT} results: ${shared} of the Settings preview's products are on the Preview page`);
    expect(errors).toEqual([]);
  });
});
