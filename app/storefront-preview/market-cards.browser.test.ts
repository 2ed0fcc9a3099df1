/**
 * The blocks' cards in the shopper's market, in Chromium: the theme blocks' real Liquid and scripts
 * (renderProductPage), the local fake of Shopify's Storefront API (two markets, two languages)
 * served same-origin at Shopify's path, and an app proxy answering the proxy's JSON contract —
 * including the server side's `variantId` — from a fixed catalog in the base market (USD).
 * Checks what a shopper sees: the market's price (and compare-at), French title and URL under /fr,
 * the matched variant's link and price, one Storefront request, no layout shift, no wrong currency
 * when Shopify cannot be reached, bad markets falling back.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { renderProductPage } from "./render-product-page.server";
import { hasChromium, launchChromium } from "../../test/support/browser";
import { seriousViolations } from "../../test/support/axe";
import { FakeStorefrontApi, STOREFRONT_API_PATH, frenchHandle, frenchTitle, type FakeProduct } from "../../test/fake-shopify/fake-storefront-api";

const HAS_CHROMIUM = hasChromium("market cards in Chromium");
const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../extensions/lookalike-blocks/assets");
const PROXY = "/apps/lookalike";

const CATALOG: FakeProduct[] = [
  { id: "501", handle: "chaz-hoodie", title: "Chaz Kangeroo Hoodie", price: "52.00", variants: [{ id: "5011", price: "52.00" }] },
  {
    id: "502",
    handle: "bruno-hoodie",
    title: "Bruno Compete Hoodie",
    price: "63.00",
    variants: [
      { id: "5021", price: "63.00" },
      { id: "5022", price: "71.00" },
    ],
  },
  { id: "503", handle: "hollister-sweatshirt", title: "Hollister Backyard Sweatshirt", price: "52.00", variants: [{ id: "5031", price: "52.00" }] },
  { id: "504", handle: "stark-hoodie", title: "Stark Fundamental Hoodie", price: "42.00", variants: [{ id: "5041", price: "42.00" }] },
  { id: "506", handle: "oslo-jacket", title: "Oslo Trek Jacket", price: "98.00", variants: [{ id: "5061", price: "98.00" }] },
];
const MAIN = CATALOG[0];
/** The card whose matched photo is its red variant (5022, dearer than the product's cheapest). */
const VARIANT_CARD = { product: "502", variant: "5022" };
/** A card naming another product's variant (5061 belongs to 506): the link and price ignore it. */
const FOREIGN_CARD = { product: "504", variant: "5061" };

/**
 * The proxy's cards: base market (USD), the catalog's order minus the page's product — four, the
 * number of cards the block's skeleton holds (a shop whose number of results differs changes the
 * grid's rows when the cards arrive: that shift is the skeleton's, not the market data's).
 */
function proxyCards() {
  return CATALOG.filter((c) => c.id !== MAIN.id).map((c, i) => {
    const variantId = c.id === VARIANT_CARD.product ? VARIANT_CARD.variant : c.id === FOREIGN_CARD.product ? FOREIGN_CARD.variant : undefined;
    const url = `/products/${c.handle}${variantId ? `?variant=${variantId}` : ""}`;
    return { id: c.id, handle: c.handle, title: c.title, price: c.price, currency: "USD", image: null, url, score: 0.9 - i * 0.05, ...(variantId ? { variantId } : {}) };
  });
}

const money = (amount: string, currency: string, locale: string) => new Intl.NumberFormat(locale, { style: "currency", currency }).format(Number(amount));

describe.skipIf(!HAS_CHROMIUM)("market-correct cards in Chromium", () => {
  const fake = new FakeStorefrontApi(CATALOG);
  let server: http.Server;
  let origin = "";
  let browser: Browser;
  /** Requests for Shopify's Storefront API path the pages made (the same-origin endpoint). */
  let storefrontHits = 0;
  /** Paths of the extension assets the pages asked for. */
  const assetRequests: string[] = [];
  /** How long the Storefront API takes: the cards paint first and are filled in place. */
  const STOREFRONT_DELAY_MS = 400;

  beforeAll(async () => {
    await fake.start();
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
        // Shopify serves the Storefront API on the shop's own domain: forwarded to the fake.
        if (url.pathname === STOREFRONT_API_PATH && req.method === "POST") {
          storefrontHits++;
          const body = await readBody();
          await new Promise((r) => setTimeout(r, STOREFRONT_DELAY_MS));
          const r = await fetch(fake.url, { method: "POST", headers: { "content-type": "application/json" }, body });
          return send(r.status, "application/json", Buffer.from(await r.arrayBuffer()));
        }
        // A Storefront API that answers GraphQL errors and no data (as Shopify does for a query it refuses).
        if (url.pathname === "/api/errors/graphql.json") {
          storefrontHits++;
          await readBody();
          return json(200, { errors: [{ message: "Throttled" }] });
        }
        const page = url.pathname.match(/^(\/fr)?\/products\/([\w-]+)$/);
        if (page) {
          const fr = !!page[1];
          const country = url.searchParams.get("country") ?? (fr ? "FR" : "US");
          const currency = url.searchParams.get("currency") ?? (country === "FR" ? "EUR" : "USD");
          const html = await renderProductPage({
            shopName: "Luma",
            product: { id: `gid://shopify/Product/${MAIN.id}`, handle: MAIN.handle, title: MAIN.title, price: MAIN.price, currency, image: null },
            proxyPath: PROXY,
            assetBaseUrl: "/ext-assets",
            locale: fr ? "fr" : "en",
            rootUrl: fr ? "/fr" : "/",
            market: { country, currency },
            storefrontApi: { down: "http://127.0.0.1:1/api/2026-10/graphql.json", errors: "/api/errors/graphql.json" }[url.searchParams.get("storefront") ?? ""],
            // ?similar=0: a page with the photo search only (the market code then loads when the dialog opens).
            ...(url.searchParams.get("similar") === "0" ? { blocks: { similar: false } } : {}),
            // ?nomarket=1: the shared market asset cannot be loaded.
            ...(url.searchParams.get("nomarket") === "1" ? { assetBaseUrl: "/ext-assets-nomarket" } : {}),
          });
          return send(200, "text/html; charset=utf-8", html);
        }
        if (url.pathname.startsWith("/ext-assets-nomarket/")) {
          assetRequests.push(url.pathname);
          const file = path.join(ASSETS, path.basename(url.pathname));
          if (!existsSync(file) || file.endsWith("lookalike-market.js")) return send(404, "text/plain", "not found");
          return send(200, file.endsWith(".js") ? "text/javascript" : "text/css", await readFile(file));
        }
        if (url.pathname.startsWith("/ext-assets/")) {
          assetRequests.push(url.pathname);
          const file = path.join(ASSETS, path.basename(url.pathname));
          if (!existsSync(file)) return send(404, "text/plain", "not found");
          return send(200, file.endsWith(".js") ? "text/javascript" : "text/css", await readFile(file));
        }
        const proxy = url.pathname.replace(/^\/fr(?=\/)/, "");
        if (proxy === `${PROXY}/config`) return json(200, { blocks: { similar: true, photoSearch: true, launcher: true } });
        if (proxy === `${PROXY}/similar`) return json(200, { products: proxyCards() });
        if (proxy === `${PROXY}/visual-search` && req.method === "POST") {
          await readBody();
          return json(200, { products: proxyCards().reverse() });
        }
        if (proxy === `${PROXY}/events`) {
          await readBody();
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
    await fake.stop();
  });

  interface Card {
    title: string;
    href: string;
    price: string;
    compare: string | null;
  }

  /** Opens a page tall enough that the block is in view while it loads; sums its layout shifts. */
  async function open(pathAndQuery: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 2400 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.addInitScript(() => {
      const w = window as unknown as { __cls: number };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
          if (!e.hadRecentInput) w.__cls += e.value;
        }
      }).observe({ type: "layout-shift", buffered: true });
    });
    await page.goto(`${origin}${pathAndQuery}`);
    return { page, errors };
  }

  async function similarCards(page: Page): Promise<Card[]> {
    await page.waitForSelector("[data-lookalike-similar][data-lookalike-market]", { timeout: 10_000 });
    return page.$$eval("[data-lookalike-similar] .lookalike__card:not(.lookalike__card--skeleton)", (lis) =>
      lis.map((li) => ({
        title: li.querySelector(".lookalike__title")?.textContent ?? "",
        href: li.querySelector("a")?.getAttribute("href") ?? "",
        price: (li.querySelector(".lookalike__sale") ?? li.querySelector(".lookalike__price"))?.textContent ?? "",
        compare: li.querySelector(".lookalike__compare")?.textContent ?? null,
      })),
    );
  }

  const cls = (page: Page) => page.evaluate(() => (window as unknown as { __cls: number }).__cls);
  const others = CATALOG.filter((c) => c.id !== MAIN.id);

  it("US market, English: the Storefront API's USD prices, the matched variant's price and link, one request, no layout shift", async () => {
    const before = fake.requests.length;
    const hits = storefrontHits;
    const { page, errors } = await open(`/products/${MAIN.handle}`);
    const cards = await similarCards(page);
    expect(cards.map((c) => c.title)).toEqual(others.map((c) => c.title));
    for (const [i, c] of others.entries()) {
      const shown = cards[i];
      if (c.id === VARIANT_CARD.product) {
        expect(shown.price).toBe(money(fake.variantIn(VARIANT_CARD.variant, "US")!.price.amount, "USD", "en"));
        expect(shown.price).toBe("$71.00"); // the red variant's, not the product's cheapest ($63.00)
        expect(shown.href).toBe(`/products/${c.handle}?variant=${VARIANT_CARD.variant}`);
      } else {
        expect(shown.price).toBe(money(fake.productIn(c.id, "US", "EN")!.price.amount, "USD", "en"));
        expect(shown.href).toBe(`/products/${c.handle}`); // another product's variant (504 → 5061) is not linked
      }
      expect(shown.compare).toBeNull();
    }
    expect(fake.requests.length - before).toBe(1);
    expect(storefrontHits - hits).toBe(1);
    expect(fake.requests.at(-1)).toMatchObject({ country: "US", language: "EN" });
    expect(await cls(page)).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("France under /fr: euro prices from the French price list (compare-at when on sale), French titles and URLs; cached for the tab", async () => {
    const before = fake.requests.length;
    const { page, errors } = await open(`/fr/products/${MAIN.handle}`);
    const cards = await similarCards(page);
    for (const [i, c] of others.entries()) {
      const truth = fake.productIn(c.id, "FR", "FR")!;
      expect(cards[i].title).toBe(frenchTitle(c.title));
      const variant = c.id === VARIANT_CARD.product;
      expect(cards[i].href).toBe(`/fr/products/${frenchHandle(c.handle)}${variant ? `?variant=${VARIANT_CARD.variant}` : ""}`);
      const price = variant ? fake.variantIn(VARIANT_CARD.variant, "FR")!.price : truth.price;
      expect(price.currencyCode).toBe("EUR");
      expect(cards[i].price).toBe(money(price.amount, "EUR", "fr"));
      expect(cards[i].compare).toBe(!variant && truth.compareAtPrice ? money(truth.compareAtPrice.amount, "EUR", "fr") : null);
    }
    expect(cards.some((c) => c.compare !== null)).toBe(true); // the French price list has a product on sale among these
    expect(cards.every((c) => !c.price.includes("$"))).toBe(true);
    expect(fake.requests.length - before).toBe(1);
    expect(fake.requests.at(-1)).toMatchObject({ country: "FR", language: "FR" });
    expect(await cls(page)).toBe(0);
    expect(await seriousViolations(page, "[data-lookalike-similar]")).toEqual([]);

    // The same cards again in this tab: from the tab's cache, no request, the same French cards.
    await page.reload();
    expect(await similarCards(page)).toEqual(cards);
    expect(fake.requests.length - before).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("France in English: euro prices, English titles and URLs", async () => {
    const { page } = await open(`/products/${MAIN.handle}?country=FR`);
    const cards = await similarCards(page);
    const c = others[2];
    expect(cards[2].title).toBe(c.title);
    expect(cards[2].href).toBe(`/products/${c.handle}`);
    expect(cards[2].price).toBe(money(fake.productIn(c.id, "FR", "EN")!.price.amount, "EUR", "en"));
    expect(fake.requests.at(-1)).toMatchObject({ country: "FR", language: "EN" });
    await page.context().close();
  });

  it("a market or language the shop does not have falls back to the default one (Shopify's answer, in its currency)", async () => {
    const { page, errors } = await open(`/products/${MAIN.handle}?country=DE&currency=EUR`);
    const cards = await similarCards(page);
    // The fake, as Shopify, answers a country it does not sell to in the default market: USD, English.
    expect(fake.requests.at(-1)).toMatchObject({ country: "DE" });
    expect(cards[1].title).toBe(others[1].title);
    expect(cards[1].price).toBe(money(others[1].price, "USD", "en"));
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a malformed country is left out of the query (Shopify's default market answers); a Storefront answer with errors hides other-currency prices", async () => {
    const { page, errors } = await open(`/products/${MAIN.handle}?country=F1&currency=USD`);
    const cards = await similarCards(page);
    expect(fake.requests.at(-1)).toMatchObject({ country: null, language: "EN" });
    expect(cards[1].price).toBe(money(others[1].price, "USD", "en"));
    await page.context().close();

    const fr = await open(`/fr/products/${MAIN.handle}?storefront=errors`);
    const frCards = await similarCards(fr.page);
    expect(await fr.page.getAttribute("[data-lookalike-similar]", "data-lookalike-market")).toBe("none");
    expect(frCards.map((c) => c.price.trim())).toEqual(others.map(() => ""));
    expect(frCards.map((c) => c.href)).toEqual(proxyCards().map((c) => `/fr${c.url}`)); // the proxy's links, under the shopper's locale
    expect([...errors, ...fr.errors]).toEqual([]);
    await fr.page.context().close();
  });

  it("Shopify unreachable: no price in another market's currency, the block still shows and links its cards", async () => {
    const fr = await open(`/fr/products/${MAIN.handle}?storefront=down`);
    const frCards = await similarCards(fr.page);
    expect(await fr.page.getAttribute("[data-lookalike-similar]", "data-lookalike-market")).toBe("none");
    expect(frCards).toHaveLength(others.length);
    // The proxy knows only USD prices: in the euro market they are hidden (the slot stays, empty).
    expect(frCards.map((c) => c.price.trim())).toEqual(others.map(() => ""));
    expect(frCards.map((c) => c.title)).toEqual(others.map((c) => c.title));
    expect(await cls(fr.page)).toBe(0);
    expect(fr.errors).toEqual([]);
    await fr.page.context().close();

    // In the market whose currency the proxy's prices are in, they are shown.
    const us = await open(`/products/${MAIN.handle}?storefront=down`);
    const usCards = await similarCards(us.page);
    expect(usCards[0].price).toBe(money(others[0].price, "USD", "en"));
    await us.page.context().close();
  });

  it("the photo search alone on a page: the shared market code loads once when the dialog opens; euro prices, one Storefront request", async () => {
    const assetsBefore = assetRequests.length;
    const { page, errors } = await open(`/fr/products/${MAIN.handle}?similar=0`);
    await page.locator(".lookalike-photo-block:not([hidden]) [data-lookalike-photo-open]").click();
    const before = fake.requests.length;
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: png });
    await page.waitForSelector(".lookalike-results[data-lookalike-market]", { timeout: 10_000 });
    const prices = await page.locator(".lookalike-results .lookalike__price").allTextContents();
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.every((p) => p.includes("€") && !p.includes("$"))).toBe(true);
    expect(fake.requests.length - before).toBe(1);
    expect(assetRequests.slice(assetsBefore).filter((a) => a.endsWith("/lookalike-market.js"))).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("the shared market code unreachable: both blocks still show and link their cards, with no price in another currency", async () => {
    const { page, errors } = await open(`/fr/products/${MAIN.handle}?nomarket=1`);
    await page.waitForSelector("[data-lookalike-similar] .lookalike__card:not(.lookalike__card--skeleton)", { timeout: 10_000 });
    const similar = await page.$$eval("[data-lookalike-similar] .lookalike__card", (lis) => lis.map((li) => ({ href: li.querySelector("a")?.getAttribute("href") ?? "", title: li.querySelector(".lookalike__title")?.textContent ?? "", price: li.querySelector(".lookalike__price")?.textContent ?? "" })));
    expect(similar.length).toBeGreaterThan(3);
    for (const c of similar) {
      expect(c.href).not.toBe("");
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.price.trim()).toBe(""); // never the base currency's price in France
    }
    await page.locator(".lookalike-photo-block:not([hidden]) [data-lookalike-photo-open]").click();
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: png });
    await page.waitForSelector(".lookalike-results[data-lookalike-market]", { timeout: 10_000 });
    expect(await page.getAttribute(".lookalike-results", "data-lookalike-market")).toBe("none");
    expect(await page.locator(".lookalike-results .lookalike__card a.lookalike__link").count()).toBeGreaterThan(3);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("photo search results in France: euro prices and French titles, one Storefront request for the results", async () => {
    const { page, errors } = await open(`/fr/products/${MAIN.handle}`);
    await similarCards(page); // the similar block's own request done
    await page.locator(".lookalike-photo-block:not([hidden]) [data-lookalike-photo-open]").click();
    const before = fake.requests.length;
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: png });
    await page.waitForSelector(".lookalike-results[data-lookalike-market]", { timeout: 10_000 });
    const titles = await page.locator(".lookalike-results .lookalike__title").allTextContents();
    const prices = await page.locator(".lookalike-results .lookalike__price").allTextContents();
    expect(titles).toEqual(others.map((c) => frenchTitle(c.title)).reverse());
    expect(prices.every((p) => p.includes("€") && !p.includes("$"))).toBe(true);
    expect(fake.requests.length - before).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
