/**
 * Front-end browser test of the Lookalike theme app extension, rendered through renderProductPage.
 * A tiny node:http server serves the page, the extension assets, generated product images and a FAKE
 * app proxy (`/apps/lookalike/similar`, `/visual-search`, `/events`) returning contract-shaped JSON.
 * Driven by playwright-core + Debian Chromium; skipped (with a message) when Chromium is absent.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { renderProductPage } from "./render-product-page.server";
import { hasChromium, launchChromium } from "../../test/support/browser";

const HAS_CHROMIUM = hasChromium("storefront blocks in Chromium");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
const ASSETS = path.join(REPO, "extensions/lookalike-blocks/assets");
const ARTIFACTS = path.join(REPO, "test-artifacts");
const PROXY = "/apps/lookalike";

type Shape = "tote" | "vase" | "mug" | "bowl" | "lamp" | "cushion";
const CATALOG: { id: string; handle: string; title: string; price: string; shape: Shape; bg: string; fg: string }[] = [
  { id: "7001", handle: "linen-tote-sand", title: "Linen Tote — Sand", price: "48.00", shape: "tote", bg: "#efe6da", fg: "#c9a77c" },
  { id: "7002", handle: "linen-tote-olive", title: "Linen Tote — Olive", price: "48.00", shape: "tote", bg: "#e3e6da", fg: "#7d8a5a" },
  { id: "7003", handle: "canvas-market-bag", title: "Canvas Market Bag", price: "36.00", shape: "tote", bg: "#ece7e1", fg: "#3f4a5a" },
  { id: "7004", handle: "stoneware-vase", title: "Stoneware Bud Vase", price: "32.00", shape: "vase", bg: "#e9e4dc", fg: "#b86f52" },
  { id: "7005", handle: "speckled-mug", title: "Speckled Mug", price: "22.00", shape: "mug", bg: "#e6ebec", fg: "#d9d2c5" },
  { id: "7006", handle: "serving-bowl", title: "Glazed Serving Bowl", price: "54.00", shape: "bowl", bg: "#f0e9df", fg: "#5f7f86" },
  { id: "7007", handle: "rattan-lamp", title: "Rattan Table Lamp", price: "129.00", shape: "lamp", bg: "#ebe4d8", fg: "#b48a5a" },
  { id: "7008", handle: "boucle-cushion", title: "Bouclé Cushion", price: "65.00", shape: "cushion", bg: "#e8e5e0", fg: "#f4f1ea" },
  { id: "7009", handle: "jute-tote", title: "Jute Beach Tote", price: "58.00", shape: "tote", bg: "#e7efe9", fg: "#b99466" },
  { id: "7010", handle: "terracotta-vase", title: "Terracotta Vase", price: "44.00", shape: "vase", bg: "#f1e6dd", fg: "#c46d4e" },
];
const MAIN = CATALOG[0];

function shapeSvg(shape: Shape, fg: string): string {
  switch (shape) {
    case "tote":
      return `<path d="M300 330 C300 220 500 220 500 330" fill="none" stroke="${fg}" stroke-width="22" stroke-linecap="round" filter="url(#d)"/>
        <path d="M230 330 H570 L600 640 Q600 660 580 660 H220 Q200 660 200 640 Z" fill="${fg}"/>
        <path d="M230 330 H570 L574 372 H226 Z" fill="#000" opacity=".06"/>`;
    case "vase":
      return `<path d="M360 240 H440 V290 C440 330 540 370 540 500 C540 600 490 660 400 660 C310 660 260 600 260 500 C260 370 360 330 360 290 Z" fill="${fg}"/>
        <ellipse cx="400" cy="240" rx="44" ry="12" fill="#000" opacity=".12"/>`;
    case "mug":
      return `<path d="M520 420 C610 420 610 560 520 560" fill="none" stroke="${fg}" stroke-width="30"/>
        <rect x="250" y="330" width="290" height="330" rx="34" fill="${fg}"/>
        <g fill="#6b5e50" opacity=".5"><circle cx="300" cy="420" r="4"/><circle cx="360" cy="480" r="3"/><circle cx="450" cy="400" r="4"/><circle cx="420" cy="560" r="3"/><circle cx="320" cy="600" r="4"/><circle cx="500" cy="520" r="3"/></g>`;
    case "bowl":
      return `<path d="M190 430 H610 C610 560 520 640 400 640 C280 640 190 560 190 430 Z" fill="${fg}"/>
        <ellipse cx="400" cy="430" rx="210" ry="34" fill="#000" opacity=".1"/>`;
    case "lamp":
      return `<path d="M300 200 H500 L560 400 H240 Z" fill="${fg}"/>
        <rect x="388" y="400" width="24" height="190" fill="#6d5a45"/><rect x="320" y="590" width="160" height="40" rx="10" fill="#6d5a45"/>`;
    case "cushion":
      return `<path d="M210 290 Q400 250 590 290 Q630 450 590 610 Q400 650 210 610 Q170 450 210 290 Z" fill="${fg}" stroke="#d8d2c6" stroke-width="6"/>`;
  }
}

const imageCache = new Map<string, Buffer>();
async function productImage(handle: string, width: number): Promise<Buffer | null> {
  const p = CATALOG.find((c) => c.handle === handle);
  if (!p) return null;
  const key = `${handle}@${width}`;
  const hit = imageCache.get(key);
  if (hit) return hit;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800">
    <defs><radialGradient id="g" cx="50%" cy="40%" r="75%"><stop offset="0" stop-color="#ffffff" stop-opacity=".55"/><stop offset="1" stop-color="#ffffff" stop-opacity="0"/></radialGradient>
    <filter id="d"><feDropShadow dx="0" dy="2" stdDeviation="2" flood-opacity=".12"/></filter></defs>
    <rect width="800" height="800" fill="${p.bg}"/><rect width="800" height="800" fill="url(#g)"/>
    <ellipse cx="400" cy="668" rx="230" ry="22" fill="#000" opacity=".08"/>
    <g filter="url(#d)">${shapeSvg(p.shape, p.fg)}</g></svg>`;
  const buf = await sharp(Buffer.from(svg)).resize(width, width).jpeg({ quality: 82 }).toBuffer();
  imageCache.set(key, buf);
  return buf;
}

function toContract(c: (typeof CATALOG)[number], score: number) {
  return { id: c.id, handle: c.handle, title: c.title, price: c.price, currency: "EUR", image: `/cdn/shop/products/${c.handle}.jpg?v=1`, url: `/demo/products/${c.handle}`, score };
}

function filterByPrice(list: typeof CATALOG, q: URLSearchParams) {
  const min = q.get("min_price") ? Number(q.get("min_price")) : -Infinity;
  const max = q.get("max_price") ? Number(q.get("max_price")) : Infinity;
  return list.filter((c) => Number(c.price) >= min && Number(c.price) <= max);
}

interface Recorded {
  similar: URLSearchParams[];
  visual: { query: URLSearchParams; width: number; height: number; format: string; bytes: number }[];
  events: Record<string, unknown>[];
}

describe.skipIf(!HAS_CHROMIUM)("storefront blocks in Chromium", () => {
  let server: http.Server;
  let origin = "";
  let browser: Browser;
  const rec: Recorded = { similar: [], visual: [], events: [] };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = http.createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const send = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      };
      const json = (status: number, body: unknown) => send(status, "application/json", JSON.stringify(body));
      const readBody = async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      };
      try {
        if (url.pathname.startsWith("/demo/products/")) {
          const handle = decodeURIComponent(url.pathname.split("/").pop() ?? "");
          const c = CATALOG.find((x) => x.handle === handle) ?? { ...MAIN, id: "9999", handle, title: "Lonely Product" };
          const html = await renderProductPage({
            shopName: "Maison Lumen",
            product: {
              id: `gid://shopify/Product/${c.id}`,
              handle: c.handle,
              title: c.title,
              price: c.price,
              currency: "EUR",
              image: `/cdn/shop/products/${MAIN.handle}.jpg?width=1200`,
              description:
                "Cut from heavyweight washed linen with a soft, lived-in hand. Roomy enough for a laptop, a baguette and the paper, with an inside pocket for keys.\n\nMade in a family-run workshop in Portugal.",
            },
            proxyPath: PROXY,
            assetBaseUrl: "/ext-assets",
            locale: url.searchParams.get("locale") === "fr" ? "fr" : "en",
            // ?colours=1: the merchant turned on the "Also in other colours" row (?colours=0: the same block without it).
            ...(url.searchParams.has("colours") ? { blockSettings: { similar: { results_count: 8, other_colours: url.searchParams.get("colours") === "1", other_colours_count: 4 } } } : {}),
          });
          return send(200, "text/html; charset=utf-8", html);
        }
        if (url.pathname.startsWith("/ext-assets/")) {
          const file = path.join(ASSETS, path.basename(url.pathname));
          if (!existsSync(file)) return send(404, "text/plain", "not found");
          const type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "application/octet-stream";
          return send(200, type, await readFile(file));
        }
        if (url.pathname.startsWith("/cdn/shop/products/")) {
          const handle = path.basename(url.pathname, ".jpg");
          const img = await productImage(handle, Math.min(1200, Number(url.searchParams.get("width")) || 800));
          return img ? send(200, "image/jpeg", img) : send(404, "text/plain", "not found");
        }
        if (url.pathname === `${PROXY}/config`) return json(200, { blocks: { similar: true, photoSearch: true, launcher: true }, resultsCount: 8 });
        if (url.pathname === `${PROXY}/similar`) {
          rec.similar.push(url.searchParams);
          const id = (url.searchParams.get("product_id") ?? "").replace(/\D/g, "");
          if (id === "9999") return json(200, { products: [] });
          const limit = Number(url.searchParams.get("limit") ?? 8);
          const list = filterByPrice(CATALOG.filter((c) => c.id !== id), url.searchParams).slice(0, limit);
          const products = list.map((c, i) => toContract(c, 0.95 - i * 0.03));
          if (!url.searchParams.has("colours")) return json(200, { products });
          // "Also in other colours": the other totes for a tote; nothing for anything else.
          const self = CATALOG.find((c) => c.id === id);
          const colours = self?.shape === "tote" ? CATALOG.filter((c) => c.shape === "tote" && c.id !== id).slice(0, Number(url.searchParams.get("colours"))) : [];
          return json(200, { products, colours: colours.map((c, i) => toContract(c, 0.9 - i * 0.05)) });
        }
        if (url.pathname === `${PROXY}/visual-search` && req.method === "POST") {
          const body = await readBody();
          const form = await new Request("http://x/", { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body }).formData();
          const image = form.get("image");
          if (!(image instanceof Blob)) return json(400, { error: { code: "missing_image", message: "image is required" } });
          const buf = Buffer.from(await image.arrayBuffer());
          const meta = await sharp(buf).metadata();
          rec.visual.push({ query: url.searchParams, width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? "", bytes: buf.length });
          const list = filterByPrice([...CATALOG].reverse(), url.searchParams).slice(0, Number(url.searchParams.get("limit") ?? 12));
          return json(200, { products: list.map((c, i) => toContract(c, 0.91 - i * 0.04)) });
        }
        if (url.pathname === `${PROXY}/events` && req.method === "POST") {
          rec.events.push(JSON.parse((await readBody()).toString("utf8")));
          res.writeHead(204);
          return res.end();
        }
        send(404, "text/plain", "not found");
      } catch (err) {
        json(500, { error: { code: "test_server", message: String(err) } });
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function photo(width: number, height: number): Promise<Buffer> {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#e9dfd0"/><rect x="${width * 0.3}" y="${height * 0.3}" width="${width * 0.4}" height="${height * 0.5}" rx="40" fill="#c9a77c"/></svg>`;
    return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  }

  async function waitForCards(page: Page, scope: string, n: number) {
    await page.waitForFunction(
      ([s, count]) => document.querySelectorAll(`${s} .lookalike__card:not(.lookalike__card--skeleton)`).length >= (count as number),
      [scope, n] as const,
      { timeout: 10_000 },
    );
  }

  /** Scrolls to where the launcher covers nothing (it steps aside over cards and the photo block). */
  async function showLauncher(page: Page) {
    await page.evaluate(() => document.querySelector(".lookalike-photo-block")?.scrollIntoView({ block: "start" }));
    await page.locator(".lookalike-launcher__button").waitFor({ state: "visible" });
  }

  async function imagesLoaded(page: Page) {
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete), null, { timeout: 10_000 }).catch(() => {});
  }

  it("desktop: similar cards, beacons, keyboard-only dialog, photo upload and price filter", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${origin}/demo/products/${MAIN.handle}`);

    // Similar products
    await waitForCards(page, ".lookalike-similar", 8);
    const cards = page.locator(".lookalike-similar .lookalike__card");
    expect(await cards.count()).toBe(8); // the shop's number of results (the proxy's default), not the block's own
    const first = cards.first();
    expect(await first.locator(".lookalike__title").textContent()).toBe("Linen Tote — Olive");
    expect(await first.locator(".lookalike__price").textContent()).toBe("€48.00");
    const img = first.locator("img");
    expect(await img.getAttribute("loading")).toBe("lazy");
    expect(await img.getAttribute("srcset")).toContain("width=360");
    expect(await img.getAttribute("sizes")).toBeTruthy();
    expect(await img.getAttribute("width")).toBeTruthy();
    expect(rec.similar[0].get("product_id")).toBe(MAIN.id);
    expect(rec.similar[0].has("limit")).toBe(false); // the shop's "Number of results" applies
    expect(rec.similar[0].has("colours")).toBe(false); // "Also in other colours" is off by default
    expect(await page.locator("[data-lookalike-colours]").count()).toBe(0);

    // Impression beacon once the block is visible
    await page.locator(".lookalike-similar").scrollIntoViewIfNeeded();
    await expect.poll(() => rec.events.some((e) => e.type === "impression" && e.sourceProductId === MAIN.id), { timeout: 5000 }).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await imagesLoaded(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-desktop.png"), fullPage: true });

    // Keyboard only: Tab to the "Search by photo" button, open with Enter
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press("Tab");
      found = await page.evaluate(() => !!document.activeElement?.closest(".lookalike-photo-block [data-lookalike-photo-open]"));
    }
    expect(found).toBe(true);
    await page.keyboard.press("Enter");
    const dialog = page.locator('.lookalike-modal [role="dialog"]');
    await dialog.waitFor({ state: "visible" });
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    const labelId = await dialog.getAttribute("aria-labelledby");
    expect(await page.locator(`#${labelId}`).textContent()).toBe("Search by photo");
    const inDialog = () => page.evaluate(() => !!document.activeElement?.closest('.lookalike-modal [role="dialog"]'));
    expect(await inDialog()).toBe(true);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      expect(await inDialog()).toBe(true);
    }
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Shift+Tab");
      expect(await inDialog()).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => !!document.activeElement?.matches(".lookalike-photo-block [data-lookalike-photo-open]"))).toBe(true);

    // Upload a large photo: it is downscaled in the browser before upload
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "visible" });
    await page.locator(".lookalike-modal input[type=file]:not([capture])").setInputFiles({ name: "IMG_0042.jpg", mimeType: "image/jpeg", buffer: await photo(2400, 1800) });
    await waitForCards(page, ".lookalike-modal", 6);
    expect(rec.visual.length).toBe(1);
    expect(Math.max(rec.visual[0].width, rec.visual[0].height)).toBeLessThanOrEqual(640);
    expect(rec.visual[0].width).toBe(640);
    expect(rec.visual[0].format).toBe("jpeg");
    expect(await page.locator(".lookalike-results__title").textContent()).toBe("10 matching products");
    await expect.poll(() => rec.events.some((e) => e.type === "photo_search")).toBe(true);

    // Price filter re-queries with the same photo
    await page.getByLabel("Min price").fill("30");
    await page.getByLabel("Max price").fill("60");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => rec.visual.length).toBe(2);
    expect(rec.visual[1].query.get("min_price")).toBe("30");
    expect(rec.visual[1].query.get("max_price")).toBe("60");
    await page.waitForFunction(() => document.querySelector(".lookalike-results__title")?.textContent === "7 matching products");
    const prices = await page.locator(".lookalike-modal .lookalike__price").allTextContents();
    expect(prices.length).toBe(7);
    for (const p of prices) {
      const n = Number(p.replace(/[^\d.]/g, ""));
      expect(n).toBeGreaterThanOrEqual(30);
      expect(n).toBeLessThanOrEqual(60);
    }
    await imagesLoaded(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-desktop-photo-search.png") });

    // "More like this" calls /similar with that product id and keeps the price filter
    const before = rec.similar.length;
    const firstTitle = await page.locator(".lookalike-modal .lookalike__title").first().textContent();
    await page.locator(".lookalike-modal .lookalike__more").first().click();
    await expect.poll(() => rec.similar.length).toBe(before + 1);
    const q = rec.similar[rec.similar.length - 1];
    expect(q.get("product_id")).toBeTruthy();
    expect(q.get("min_price")).toBe("30");
    await page.waitForFunction((t) => document.querySelector(".lookalike-results__title")?.textContent === `Similar to “${t}”`, firstTitle);
    expect(await page.evaluate(() => document.activeElement?.classList.contains("lookalike-results__back"))).toBe(true);

    // Click beacon (navigation is fine; the beacon must not block it)
    await page.keyboard.press("Escape");
    await page.locator(".lookalike-similar .lookalike__link").first().click();
    await page.waitForURL(/\/demo\/products\/linen-tote-olive/);
    await expect.poll(() => rec.events.some((e) => e.type === "click" && e.productId === "7002" && e.sourceProductId === MAIN.id)).toBe(true);

    expect(errors).toEqual([]);
    await context.close();
  });

  it("hides the similar block cleanly when there are no products", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/demo/products/no-such-product`);
    await page.waitForFunction(() => (document.querySelector("[data-lookalike-similar]") as HTMLElement | null)?.hidden === true);
    expect(await page.locator("[data-lookalike-similar]").isVisible()).toBe(false);
    expect(await page.locator(".recommendations").boundingBox().then((b) => b?.height ?? 0)).toBe(0);
    await context.close();
  });

  it("\"Also in other colours\" row: from the same request, its own heading, no layout shift; hidden when the product has none", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 2400 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.addInitScript(() => {
      const w = window as unknown as { __cls: number; __blockShifts?: number };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources: { node?: Node }[] })[]) {
          if (e.hadRecentInput) continue;
          w.__cls += e.value;
          // What moved, so a shift of the row itself (or inside the block) is told apart from the page's own.
          for (const x of e.sources) if (x.node instanceof Element && x.node.closest("[data-lookalike-similar]")) w.__blockShifts = (w.__blockShifts ?? 0) + 1;
        }
      }).observe({ type: "layout-shift", buffered: true });
    });
    const shifts = () =>
      page.evaluate(() => {
        const w = window as unknown as { __cls: number; __blockShifts?: number };
        return { cls: w.__cls, block: w.__blockShifts ?? 0 };
      });
    // The same page without the row (the block set to the shop's 8 results, so its skeleton is the cards' size).
    await page.goto(`${origin}/demo/products/${MAIN.handle}?colours=0`);
    await waitForCards(page, ".lookalike-similar", 8);
    await imagesLoaded(page);
    const withoutRow = await shifts();
    const before = rec.similar.length;
    await page.goto(`${origin}/demo/products/${MAIN.handle}?colours=1`);
    await waitForCards(page, ".lookalike__colours", 3);
    expect(rec.similar.length - before).toBe(1); // one proxy request for both rows
    expect(rec.similar[before].get("colours")).toBe("4");
    const row = page.locator("[data-lookalike-colours]");
    expect(await row.isVisible()).toBe(true);
    const headingId = await row.getAttribute("aria-labelledby");
    expect(await page.locator(`#${headingId}`).textContent()).toBe("Also in other colours");
    const titles = await row.locator(".lookalike__card .lookalike__title").allTextContents();
    expect(titles).toEqual(["Linen Tote — Olive", "Canvas Market Bag", "Jute Beach Tote"]);
    expect(await row.locator(".lookalike__card--skeleton").count()).toBe(0);
    expect(await row.locator(".lookalike__card").first().locator(".lookalike__price").textContent()).toBe("€48.00");
    expect(await row.locator("a").first().getAttribute("href")).toBe("/demo/products/linen-tote-olive");
    // The similar row is still there, whole.
    expect(await page.locator("[data-lookalike-grid] .lookalike__card:not(.lookalike__card--skeleton)").count()).toBe(8);
    await imagesLoaded(page);
    // The row's skeleton holds its place: it adds no layout shift to the page's own (the demo page's
    // description moves when its photo-search block renders, with or without the row).
    const withRow = await shifts();
    expect(withRow.block).toBe(0);
    expect(withRow.cls).toBeCloseTo(withoutRow.cls, 6);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-other-colours.png"), fullPage: true });

    // A product without other colours: the row goes, the similar products stay.
    await page.goto(`${origin}/demo/products/speckled-mug?colours=1`);
    await page.waitForFunction(() => (document.querySelector("[data-lookalike-colours]") as HTMLElement | null)?.hidden === true, null, { timeout: 10_000 });
    expect(await page.locator("[data-lookalike-colours]").isVisible()).toBe(false);
    expect(await page.locator("[data-lookalike-grid] .lookalike__card:not(.lookalike__card--skeleton)").count()).toBe(8);

    // French: the row's heading is translated.
    await page.goto(`${origin}/demo/products/${MAIN.handle}?colours=1&locale=fr`);
    await waitForCards(page, ".lookalike__colours", 3);
    expect(await page.locator(".lookalike__colours .lookalike__subheading").textContent()).toBe("Aussi dans d’autres couleurs");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("phone: carousel, launcher opens the dialog, results, French strings", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    });
    const page = await context.newPage();
    await page.goto(`${origin}/demo/products/${MAIN.handle}`);
    await waitForCards(page, ".lookalike-similar", 4);
    const overflow = await page.evaluate(() => {
      const g = document.querySelector(".lookalike-similar .lookalike__grid") as HTMLElement;
      return { scroll: g.scrollWidth, client: g.clientWidth, snap: getComputedStyle(g).scrollSnapType };
    });
    expect(overflow.scroll).toBeGreaterThan(overflow.client);
    expect(overflow.snap).toContain("x");
    await imagesLoaded(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-phone.png"), fullPage: true });

    await showLauncher(page);
    await page.locator(".lookalike-launcher__button").tap();
    const dialog = page.locator('.lookalike-modal [role="dialog"]');
    await dialog.waitFor({ state: "visible" });
    expect(await page.locator(".lookalike-camera").isVisible()).toBe(true); // camera offered on touch devices
    await page.waitForTimeout(350); // let the open transition finish before the screenshot
    expect(await page.locator(".lookalike-modal input[capture=environment]").count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-phone-dialog.png") });
    await page.locator(".lookalike-modal input[type=file]:not([capture])").setInputFiles({ name: "photo.jpg", mimeType: "image/jpeg", buffer: await photo(1200, 1600) });
    await waitForCards(page, ".lookalike-modal", 4);
    const last = rec.visual[rec.visual.length - 1];
    expect(last.height).toBe(640);
    await imagesLoaded(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "storefront-phone-results.png") });

    // French storefront
    await page.goto(`${origin}/demo/products/${MAIN.handle}?locale=fr`);
    await waitForCards(page, ".lookalike-similar", 4);
    expect(await page.locator(".lookalike__heading").textContent()).toBe("Produits similaires");
    expect(await page.locator(".lookalike-similar .lookalike__price").first().textContent()).toMatch(/48,00\s€/);
    await context.close();
  });

  for (const [width, height] of [[390, 844], [360, 740]] as const) {
    it(`phone ${width}×${height}: no sideways overflow, the panel's Close is tappable, the launcher covers no card`, async () => {
      const context = await browser.newContext({
        viewport: { width, height },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
      });
      const page = await context.newPage();
      const name = (s: string) => path.join(ARTIFACTS, `storefront-phone-${width}-${s}.png`);
      const noOverflow = async (where: string) => {
        const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth, x: window.scrollX }));
        expect(m.scroll, `${where}: page ${m.scroll}px wide in a ${width}px viewport`).toBeLessThanOrEqual(width);
        expect(m.inner, `${where}: layout viewport`).toBe(width);
        expect(m.x, `${where}: page shifted sideways`).toBe(0);
      };
      const closeTappable = async (where: string) => {
        const r = await page.evaluate(() => {
          const b = document.querySelector(".lookalike-modal__close") as HTMLElement;
          const box = b.getBoundingClientRect();
          const x = box.left + box.width / 2;
          const y = box.top + box.height / 2;
          const hit = document.elementFromPoint(x, y);
          return { box: { left: box.left, right: box.right, top: box.top, bottom: box.bottom }, hit: !!hit && b.contains(hit), w: innerWidth, h: innerHeight };
        });
        expect(r.box.left, where).toBeGreaterThanOrEqual(0);
        expect(r.box.right, where).toBeLessThanOrEqual(r.w);
        expect(r.box.top, where).toBeGreaterThanOrEqual(0);
        expect(r.box.bottom, where).toBeLessThanOrEqual(r.h);
        expect(r.hit, `${where}: elementFromPoint at the Close button's centre`).toBe(true);
      };
      const launcherCovers = () =>
        page.evaluate(() => {
          const l = document.querySelector(".lookalike-launcher__button") as HTMLElement | null;
          if (!l || !l.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return [];
          const b = l.getBoundingClientRect();
          return Array.from(document.querySelectorAll(".lookalike-similar .lookalike__card, .lookalike-photo-block"))
            .filter((n) => {
              const r = n.getBoundingClientRect();
              return r.width > 0 && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top;
            })
            .map((n) => n.textContent?.trim().slice(0, 40));
        });

      await page.goto(`${origin}/demo/products/${MAIN.handle}`);
      await waitForCards(page, ".lookalike-similar", 4);
      await imagesLoaded(page);
      await noOverflow("product page");
      // The launcher covers no card wherever the shopper scrolls: each card brought to the bottom
      // edge (where the button sits), to the middle, and the page's end.
      await page.locator("[data-lookalike-launcher]:not([hidden])").waitFor({ state: "attached" }); // the shop has it on
      const n = await page.locator(".lookalike-similar .lookalike__card").count();
      for (let i = 0; i < n; i++) {
        for (const block of ["end", "center"] as const) {
          await page.evaluate(([k, b]) => document.querySelectorAll(".lookalike-similar .lookalike__card")[k as number].scrollIntoView({ block: b as ScrollLogicalPosition, inline: "nearest" }), [i, block] as const);
          await page.waitForTimeout(350); // the launcher's fade
          expect(await launcherCovers(), `card ${i} scrolled to ${block}`).toEqual([]);
        }
      }
      await page.evaluate(() => document.querySelector(".lookalike-similar .lookalike__grid")!.scrollTo({ left: 0 }));
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForTimeout(300);
      expect(await launcherCovers(), "page end").toEqual([]);
      await page.screenshot({ path: name("end") });
      await noOverflow("after scrolling");

      // The photo panel: empty, with results, after "More like this".
      await showLauncher(page);
      await page.locator(".lookalike-launcher__button").tap();
      await page.locator('.lookalike-modal [role="dialog"]').waitFor({ state: "visible" });
      await page.waitForTimeout(350);
      await page.screenshot({ path: name("panel-empty") });
      await noOverflow("empty panel");
      await closeTappable("empty panel");
      await page.locator(".lookalike-modal input[type=file]:not([capture])").setInputFiles({ name: "photo.jpg", mimeType: "image/jpeg", buffer: await photo(900, 1200) });
      await waitForCards(page, ".lookalike-modal", 4);
      await imagesLoaded(page);
      await page.screenshot({ path: name("panel-results") });
      await noOverflow("results");
      await closeTappable("results");
      const cropped = await page.evaluate(() =>
        Array.from(document.querySelectorAll(".lookalike-modal .lookalike__card"))
          .map((c) => c.getBoundingClientRect())
          .filter((r) => r.left < 0 || r.right > innerWidth).length,
      );
      expect(cropped, "result cards cut off at the sides").toBe(0);
      await page.locator(".lookalike-modal .lookalike__more").nth(1).tap();
      await page.waitForFunction(() => !!document.querySelector(".lookalike-results__back:not([hidden])"));
      await waitForCards(page, ".lookalike-modal", 4);
      await page.waitForTimeout(300);
      await page.screenshot({ path: name("panel-more") });
      await noOverflow("after More like this");
      await closeTappable("after More like this");
      await page.locator(".lookalike-modal__close").tap();
      await page.locator('.lookalike-modal [role="dialog"]').waitFor({ state: "hidden" });
      await noOverflow("after closing the panel");
      await context.close();
    });
  }
});
