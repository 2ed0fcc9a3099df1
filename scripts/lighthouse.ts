/**
 * Lighthouse on this app, the way a merchant's store and admin would be judged:
 *  - the demo product page with and without the Lookalike blocks (`?blocks=none`): median
 *    performance score of several runs each (Lighthouse's default mobile profile: Moto G class
 *    device, simulated slow 4G); target: the blocks cost ≤ 1 point;
 *  - the embedded admin home (/demo/admin → /app, desktop profile): LCP, CLS, TBT against the
 *    Built for Shopify admin targets (LCP ≤ 2.5 s, CLS ≤ 0.1).
 * It starts its own web server and worker in demo mode on a temporary SQLite database, imports a
 * catalog (../shared/datasets/luma-dev when present, else the generated one) and waits for it.
 *
 *   npx tsx scripts/lighthouse.ts [--runs 5] [--json out.json] [--market FR]
 *
 * `--market FR`: the product page as a shopper in France reading French sees it (`/fr/products/…?country=FR`),
 * the blocks' market data from a local Storefront API fake (test/fake-shopify) behind the demo's same-origin path.
 *
 * Needs the production build (npm run build), Redis, and Chromium at /usr/bin/chromium (CHROMIUM_PATH).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as chromeLauncher from "chrome-launcher";
import lighthouse, { desktopConfig } from "lighthouse";
import { appEnv, ROOT, runCli, startWeb, startWorker } from "./lib/app-processes";
import { generateCatalog } from "./lib/generated-catalog";
import { migrateDatabase } from "./setup";
import { FakeStorefrontApi } from "../test/fake-shopify/fake-storefront-api";

const CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"];
// shopify-app-remix answers bot user agents (Lighthouse's included) with 410: measure as a normal browser.
const MOBILE_UA = "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

interface RunResult { score: number; lcpMs: number; cls: number; tbtMs: number; fcpMs: number }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function measure(url: string, port: number, profile: "mobile" | "desktop"): Promise<RunResult> {
  const config = profile === "desktop" ? { ...desktopConfig, settings: { ...desktopConfig.settings, emulatedUserAgent: DESKTOP_UA } } : { extends: "lighthouse:default", settings: { emulatedUserAgent: MOBILE_UA } };
  const result = await lighthouse(url, { port, output: "json", logLevel: "error", onlyCategories: ["performance"] }, config as never);
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const landed = new URL(lhr.finalDisplayedUrl).pathname;
  if (!landed.startsWith(new URL(url).pathname.startsWith("/demo/admin") ? "/app" : new URL(url).pathname)) throw new Error(`${url} ended on ${lhr.finalDisplayedUrl}`);
  const a = lhr.audits;
  return {
    score: Math.round((lhr.categories.performance.score ?? 0) * 100),
    lcpMs: Math.round(a["largest-contentful-paint"].numericValue ?? NaN),
    cls: Math.round((a["cumulative-layout-shift"].numericValue ?? NaN) * 1000) / 1000,
    tbtMs: Math.round(a["total-blocking-time"].numericValue ?? NaN),
    fcpMs: Math.round(a["first-contentful-paint"].numericValue ?? NaN),
  };
}

function summary(runs: RunResult[]) {
  return { runs: runs.length, scores: runs.map((r) => r.score), medianScore: median(runs.map((r) => r.score)), lcpMs: median(runs.map((r) => r.lcpMs)), cls: median(runs.map((r) => r.cls)), tbtMs: median(runs.map((r) => r.tbtMs)), fcpMs: median(runs.map((r) => r.fcpMs)) };
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, json: { type: "string" }, market: { type: "string" } } });
  const market = values.market?.toUpperCase();
  if (market && market !== "FR" && market !== "US") throw new Error(`--market: US or FR (the Storefront API fake's markets), not ${values.market}`);
  const runs = Math.max(1, Number(values.runs));
  const chromePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromePath)) throw new Error(`Chromium not found at ${chromePath}`);

  const tmp = mkdtempSync(path.join(os.tmpdir(), "lookalike-lh-"));
  const shop = "lighthouse-demo.myshopify.com";
  const dbUrl = `file:${path.join(tmp, "lh.db")}`;
  await migrateDatabase(dbUrl);
  const luma = path.resolve(ROOT, "../shared/datasets/luma-dev/catalog.jsonl");
  const catalog = existsSync(luma) ? luma : await generateCatalog(path.join(tmp, "catalog"));
  const storefront = market ? FakeStorefrontApi.fromCatalogFile(catalog) : undefined;
  const app = await appEnv(dbUrl, { LOOKALIKE_DEMO: "1", DEMO_SHOP: shop, DEMO_STOREFRONT_API_URL: storefront ? await storefront.start() : undefined });
  const { createPrismaClient } = await import("../app/db.server");
  const { ensureDemoShop } = await import("../app/demo/demo-shop.server");
  const db = createPrismaClient(dbUrl);
  await ensureDemoShop(db, shop, ["read_products", "read_inventory"]);
  const [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  let chrome: chromeLauncher.LaunchedChrome | undefined;
  try {
    const imported = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", catalog, "--wait"], app.env);
    if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
    const product = await db.product.findFirstOrThrow({ where: { shopDomain: shop }, orderBy: { title: "asc" } });
    chrome = await chromeLauncher.launch({ chromePath, chromeFlags: CHROME_FLAGS });
    const page = market === "FR" ? `${app.baseUrl}/fr/products/${product.handle}?country=FR` : market ? `${app.baseUrl}/products/${product.handle}?country=US` : `${app.baseUrl}/demo/products/${product.handle}`;
    const noBlocks = `${page}${page.includes("?") ? "&" : "?"}blocks=none`;
    console.error(`catalog: ${path.relative(ROOT, catalog)} → product page ${new URL(page).pathname}${new URL(page).search}; ${runs} runs each`);
    // Warm-up: the first request of a fresh web process loads the catalog index and the model.
    await measure(page, chrome.port, "mobile");
    const withBlocks: RunResult[] = [];
    const withoutBlocks: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift on the machine affects both sides alike.
      withoutBlocks.push(await measure(noBlocks, chrome.port, "mobile"));
      withBlocks.push(await measure(page, chrome.port, "mobile"));
      console.error(`run ${i + 1}: without ${withoutBlocks.at(-1)!.score}, with ${withBlocks.at(-1)!.score}`);
    }
    const admin: RunResult[] = [];
    await measure(`${app.baseUrl}/demo/admin?to=/app`, chrome.port, "desktop");
    for (let i = 0; i < runs; i++) admin.push(await measure(`${app.baseUrl}/demo/admin?to=/app`, chrome.port, "desktop"));

    const report = {
      lighthouse: (await import("lighthouse/package.json", { with: { type: "json" } })).default.version,
      market: market ?? null,
      productPage: { withoutBlocks: summary(withoutBlocks), withBlocks: summary(withBlocks) },
      adminHome: summary(admin),
    };
    const drop = report.productPage.withoutBlocks.medianScore - report.productPage.withBlocks.medianScore;
    console.log(JSON.stringify(report, null, 2));
    console.error(`\nproduct page median score: ${report.productPage.withoutBlocks.medianScore} without blocks, ${report.productPage.withBlocks.medianScore} with → drop ${drop} (target ≤ 1) ${drop <= 1 ? "OK" : "OVER"}`);
    console.error(`admin home: LCP ${report.adminHome.lcpMs} ms (≤ 2500), CLS ${report.adminHome.cls} (≤ 0.1), TBT ${report.adminHome.tbtMs} ms`);
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  } finally {
    await chrome?.kill();
    await Promise.all([web.stop(), worker.stop()]);
    await db.$disconnect();
    await app.cleanup();
    await storefront?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
