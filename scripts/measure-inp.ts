/**
 * Interaction to Next Paint on the embedded admin, in Debian Chromium (playwright-core):
 * real clicks and typing on Home, Products (search, next page), Preview (pick a product),
 * Settings (toggle, slider, save). Each interaction's latency comes from the browser's Event
 * Timing API (PerformanceObserver "event", as the web-vitals library measures INP); INP is the
 * worst interaction (fewer than 50 per page). Target (Built for Shopify): ≤ 200 ms.
 *
 *   npx tsx scripts/measure-inp.ts
 *
 * Starts its own web server + worker in demo mode on a temporary SQLite database with the
 * generated catalog. Needs the production build (npm run build), Redis and /usr/bin/chromium.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { createPrismaClient } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { appEnv, runCli, startWeb, startWorker } from "./lib/app-processes";
import { generateCatalog } from "./lib/generated-catalog";
import { migrateDatabase } from "./setup";

const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const OBSERVE = `
  window.__inp = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.interactionId) window.__inp.push({ name: e.name, duration: e.duration, id: e.interactionId });
  }).observe({ type: "event", buffered: true, durationThreshold: 16 });
`;

async function interactions(page: Page): Promise<{ name: string; duration: number }[]> {
  const entries = (await page.evaluate("window.__inp")) as { name: string; duration: number; id: number }[];
  const byId = new Map<number, { name: string; duration: number }>();
  for (const e of entries) if (!byId.has(e.id) || byId.get(e.id)!.duration < e.duration) byId.set(e.id, e);
  return [...byId.values()];
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lookalike-inp-"));
  const shop = "inp-demo.myshopify.com";
  const dbUrl = `file:${path.join(tmp, "inp.db")}`;
  await migrateDatabase(dbUrl);
  const catalog = await generateCatalog(path.join(tmp, "catalog"), 60);
  const app = await appEnv(dbUrl, { LOOKALIKE_DEMO: "1", DEMO_SHOP: shop });
  const db = createPrismaClient(dbUrl);
  await ensureDemoShop(db, shop, ["read_products", "read_inventory"]);
  const [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
  try {
    const imported = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", catalog, "--wait"], app.env);
    if (imported.code !== 0) throw new Error(imported.stderr);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, userAgent: UA });
    await page.addInitScript(OBSERVE);
    const results: Record<string, number[]> = {};
    const open = async (to: string) => page.goto(`${app.baseUrl}/demo/admin?to=${encodeURIComponent(to)}`, { waitUntil: "networkidle" });
    const record = async (label: string) => {
      results[label] = (await interactions(page)).map((i) => Math.round(i.duration));
    };

    await open("/app/products");
    const search = page.getByPlaceholder("Search by title, type or id");
    await search.click();
    await search.pressSequentially("tote", { delay: 60 });
    await page.waitForTimeout(800);
    await search.fill("");
    await page.waitForTimeout(800);
    await page.getByLabel("Next").click();
    await page.waitForTimeout(800);
    await record("products");

    await open("/app/preview");
    const first = await db.product.findFirstOrThrow({ where: { shopDomain: shop }, orderBy: { title: "asc" } });
    await page.getByLabel("Pick a product").click();
    await page.getByLabel("Pick a product").pressSequentially(first.title.slice(0, 6), { delay: 60 });
    await page.locator(".Polaris-ResourceItem").first().click();
    await page.waitForTimeout(1500);
    await record("preview");

    await open("/app/settings");
    await page.getByLabel("Hide products that are out of stock").click();
    const slider = page.locator('input[type="range"]').first();
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForTimeout(1000);
    await record("settings");

    const all = Object.values(results).flat();
    const report = { interactions: all.length, inpMs: Math.max(...all), perPage: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { interactions: v.length, worstMs: Math.max(0, ...v) }])), loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10) };
    console.log(`INP (worst of ${all.length} interactions): ${report.inpMs} ms (target ≤ 200)`);
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
    await Promise.all([web.stop(), worker.stop()]);
    await db.$disconnect();
    await app.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
