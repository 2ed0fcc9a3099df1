/**
 * Every link of the demo storefront answers 200 (first-impressions finding 2): the real web
 * server with LOOKALIKE_DEMO=1 and a worker over a small generated catalog; a crawl from `/demo`
 * that follows every same-origin href of the pages it fetches and every card `url` of the
 * similar-products and photo-search answers the theme blocks fetch (through the demo's stand-in
 * for the app proxy, /apps/lookalike/*), up to a bound. Before the fix the cards and the theme
 * header led to bare 404s (they link to `/products/<handle>`, the demo served `/demo/products/…`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SHOP, readConfig } from "../app/config.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { appEnv, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const MAX_PAGES = 200;
// A browser's user agent: the embedded admin (linked from the demo) answers bots 410 Gone.
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" };

describe("demo storefront links", () => {
  let database: TestDatabase;
  let app: AppEnv;
  let db: Db;
  let catalogDir: string;
  let catalogFile: string;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    app = await appEnv(database.url, { LOOKALIKE_DEMO: "1" });
    db = createPrismaClient(database.url);
    await ensureDemoShop(db, DEMO_SHOP, readConfig(app.env).scopes); // as `npm run demo` does
    catalogDir = mkdtempSync(path.join(os.tmpdir(), "lookalike-demo-catalog-"));
    catalogFile = await generateCatalog(catalogDir, 8);
    running.push(...(await Promise.all([startWeb(app), startWorker(app)])));
    const res = await runCli(["scripts/catalog-import.ts", "--shop", DEMO_SHOP, "--file", catalogFile, "--wait", "--timeout", "300"], app.env);
    expect(res.code, res.stderr).toBe(0);
  }, 400_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
    if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
  });

  it("answers 200 for every link of the pages, the similar products and the photo results", async () => {
    const origin = new URL(app.baseUrl).origin;
    const seen = new Map<string, number>();
    const queue: string[] = ["/demo"];
    const visit = (href: string, from: string) => {
      const u = new URL(href, origin + from);
      if (u.origin !== origin || !/^https?:$/.test(u.protocol)) return;
      const key = u.pathname + u.search;
      if (!seen.has(key) && !queue.includes(key)) queue.push(key);
    };
    const cards = async (res: Response, from: string) => {
      expect(res.status, from).toBe(200);
      const { products } = (await res.json()) as { products: { url: string }[] };
      expect(products.length, from).toBeGreaterThan(0);
      for (const p of products) visit(p.url, "/demo");
    };
    const rows = await db.product.findMany({ where: { shopDomain: DEMO_SHOP }, select: { id: true, imageUrls: true } });
    expect(rows).toHaveLength(8);
    // What the theme blocks fetch: similar products of every product, and a photo search.
    for (const r of rows) await cards(await fetch(`${origin}/apps/lookalike/similar?product_id=${r.id}&limit=10`), `similar ${r.id}`);
    const photo = readFileSync(new URL(JSON.parse(rows[0].imageUrls)[0]));
    const form = new FormData();
    form.append("image", new Blob([photo], { type: "image/png" }), "photo.png");
    await cards(await fetch(`${origin}/apps/lookalike/visual-search?limit=10`, { method: "POST", body: form }), "visual-search");

    const broken: string[] = [];
    while (queue.length && seen.size < MAX_PAGES) {
      const pathAndQuery = queue.shift()!;
      const res = await fetch(origin + pathAndQuery, { headers: BROWSER });
      seen.set(pathAndQuery, res.status);
      if (res.status !== 200) broken.push(`${res.status} ${pathAndQuery}`);
      if (!(res.headers.get("content-type") ?? "").includes("text/html")) continue;
      const html = await res.text();
      for (const m of html.matchAll(/\shref="([^"#][^"]*)"/g)) visit(m[1].replace(/&amp;/g, "&"), pathAndQuery);
    }
    expect(broken).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen.keys()].filter((k) => k.startsWith("/products/")).length).toBeGreaterThanOrEqual(8);
  }, 300_000);

  it("prints no stack trace for what a newcomer's browser asks and does not exist (404s, /favicon.ico)", async () => {
    const origin = app.baseUrl;
    for (const p of ["/favicon.ico", "/no-such-page", "/demo/products/no-such-product", "/apple-touch-icon.png"]) {
      const res = await fetch(origin + p, { headers: BROWSER });
      await res.arrayBuffer();
      expect(res.status, p).toBeGreaterThanOrEqual(400);
    }
    const web = running[0].output();
    expect(web).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // a stack frame
    expect(web).not.toMatch(/ErrorResponseImpl|No route matches URL/);
  }, 60_000);
});
