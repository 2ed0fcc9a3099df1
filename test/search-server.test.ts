/**
 * The production entry (server.ts, `npm run start`) on a real process: /proxy/similar on the lean
 * node:http path (signature, 400s, min(k, matches), settings, pins/excludes, deletes, uninstall),
 * static files of the client build, and everything else through Remix. Products are written
 * straight into the database with generated vectors at the real dimension.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCatalogChange } from "../app/catalog/catalog-events.server";
import { deleteProduct } from "../app/catalog/product-repository.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../app/embedding/models/model-registry";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import { createRedis, scanKeys } from "../app/redis.server";
import { syntheticCatalog } from "../scripts/lib/synthetic-catalog";
import { embeddedRows } from "../scripts/lib/synthetic-rows";
import { appEnv, ROOT, type AppEnv } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const SHOP = "server-test.myshopify.com";
const N = 400;
const CACHE_CAP = 50;
const hasBuild = existsSync(path.join(ROOT, "build/server/index.js"));

describe.skipIf(!hasBuild)("production entry (server.ts)", () => {
  let database: TestDatabase;
  let app: AppEnv;
  let db: Db;
  let stop: () => Promise<void>;
  let output = "";
  const similar = (params: Record<string, string>) => fetch(signedUrl(app.baseUrl, "similar", SHOP, params));
  const ids = async (params: Record<string, string>) => {
    const res = await similar(params);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { products: { id: string; score: number }[] }).products;
  };
  const bump = async () => {
    const s = await db.shop.update({ where: { domain: SHOP }, data: { catalogVersion: { increment: 1 } } });
    const redis = createRedis(process.env.REDIS_URL || "redis://127.0.0.1:6379");
    await publishCatalogChange(redis, SHOP, s.catalogVersion);
    redis.disconnect();
    await new Promise((r) => setTimeout(r, 1_300)); // pub/sub or the 1 s re-check
  };

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    // Rate limits have their own tests; here one client sends hundreds of uncached searches, so the
    // charge for search work is off (RATE_LIMIT_SEARCH_MS_PER_POINT=0) to keep every answer a search.
    app = await appEnv(database.url, { SEARCH_CACHE_REDIS_MAX_ENTRIES: String(CACHE_CAP), RATE_LIMIT_SEARCH_MS_PER_POINT: "0" });
    process.env.REDIS_NAMESPACE = app.env.REDIS_NAMESPACE; // publishCatalogChange's channel
    db = createPrismaClient(database.url);
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const products = syntheticCatalog({ n: N, dims: { image: spec.dim, color: COLOR_DIM, text: TEXT_DIM }, clusters: 8, seed: 5 });
    await db.shop.create({ data: { domain: SHOP, catalogVersion: 1 } });
    const now = new Date();
    await db.product.createMany({
      data: embeddedRows(SHOP, products, { modelId: spec.id, now, imageUrl: (i) => `https://cdn.shopify.com/p${i}.jpg` }).map((r, i) =>
        i < 3 ? { ...r, productType: "Rare" } : r,
      ),
    });
    const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], { cwd: ROOT, env: app.env, stdio: ["ignore", "pipe", "pipe"] });
    stop = () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server.ts not ready:\n${output}`)), 60_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (/listening on http:\/\/localhost/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${output}`))));
    });
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
  });

  it("answers signed similar requests, best first, never the product itself", async () => {
    const products = await ids({ product_id: "1010", limit: "10" });
    expect(products).toHaveLength(10);
    expect(products.map((p) => p.id)).not.toContain("1010");
    expect(products.map((p) => p.score)).toEqual([...products.map((p) => p.score)].sort((a, b) => b - a));
    expect((await ids({ product_id: "gid://shopify/Product/1010" })).length).toBe(8); // the shop's resultsCount
  }, 60_000);

  it("rejects unsigned, tampered and expired requests, and bad parameters", async () => {
    expect((await fetch(`${app.baseUrl}/proxy/similar?shop=${SHOP}&product_id=1010`)).status).toBe(401);
    const tampered = new URL(signedUrl(app.baseUrl, "similar", SHOP, { product_id: "1010" }));
    tampered.searchParams.set("product_id", "1011");
    expect((await fetch(tampered)).status).toBe(401);
    expect((await fetch(signedUrl(app.baseUrl, "similar", SHOP, { product_id: "1010" }, { now: Date.now() - 600_000 }))).status).toBe(401);
    const bad = await similar({ product_id: "1010", filter: "@price:[10" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_filter");
    expect((await similar({ product_id: "1010", limit: "500" })).status).toBe(400);
    expect((await similar({ product_id: "99999" })).status).toBe(404);
    expect((await fetch(signedUrl(app.baseUrl, "similar", "nobody.myshopify.com", { product_id: "1010" }))).status).toBe(404);
  });

  it("returns min(k, matches) for filters of any selectivity", async () => {
    expect((await ids({ product_id: "1010", limit: "10", filter: "@type:{Rare}" })).length).toBe(3);
    expect((await ids({ product_id: "1010", limit: "10", type: "Rare" })).length).toBe(3);
    const cheap = await ids({ product_id: "1010", limit: "20", filter: "@price:[0 5] @available:{true}" });
    expect(cheap.length).toBeGreaterThan(0);
    expect((await ids({ product_id: "1010", limit: "20", tag: "p50" })).length).toBe(20);
  });

  it("keeps a shopper spraying distinct filters to the result cache's cap in Redis: fixed-length keys, bounded bytes", async () => {
    const redis = createRedis(process.env.REDIS_URL || "redis://127.0.0.1:6379");
    // 250 distinct 19-digit ids a request: ~5 KB of filter each time (was ~5 KB of Redis key name per request).
    const exclude = (n: number) => Array.from({ length: 250 }, (_, i) => String(10n ** 18n + BigInt(n * 250 + i))).join(",");
    for (let n = 0; n < 200; n++) expect((await similar({ product_id: "1010", limit: "10", exclude: exclude(n) })).status).toBe(200);
    const keys: string[] = [];
    for await (const batch of scanKeys(redis, `${app.env.REDIS_NAMESPACE}:res:${SHOP}:*`, 1000)) keys.push(...batch);
    expect(keys.length).toBeGreaterThan(0);
    let bytes = 0;
    for (const key of keys) {
      expect(key.length).toBeLessThan(120);
      expect(await redis.type(key)).toBe("hash");
      expect((await redis.hlen(key)) - 1).toBeLessThanOrEqual(CACHE_CAP); // minus the byte-count field
      bytes += Number(await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
    }
    expect(bytes).toBeLessThan(keys.length * CACHE_CAP * 4_096);
    // Still a cache: the same request, its filter reordered, is answered identically.
    const first = await (await similar({ product_id: "1012", limit: "5", type: "a,b", exclude: "1013,1014" })).text();
    expect(await (await similar({ product_id: "1012", limit: "5", type: "B,A", exclude: "gid://shopify/Product/1014,1013" })).text()).toBe(first);
    expect((await similar({ product_id: "1010", exclude: "not-a-product" })).status).toBe(400);
    expect((await similar({ product_id: "1010", exclude: Array.from({ length: 251 }, (_, i) => String(i + 1)).join(",") })).status).toBe(400);
    await redis.del(keys);
    redis.disconnect();
  });

  it("applies settings, pins and excludes after a catalog version bump", async () => {
    const before = await ids({ product_id: "1010", limit: "10" });
    await db.productRule.createMany({
      data: [
        { shopDomain: SHOP, productId: "1010", targetId: "1399", kind: "pin" },
        { shopDomain: SHOP, productId: "1010", targetId: before[0].id, kind: "exclude" },
      ],
    });
    await db.shop.update({ where: { domain: SHOP }, data: { settings: JSON.stringify({ hideOutOfStock: true }) } });
    await bump();
    const after = await ids({ product_id: "1010", limit: "10" });
    const available = new Map((await db.product.findMany({ where: { shopDomain: SHOP }, select: { id: true, available: true } })).map((p) => [p.id, p.available]));
    expect(after.length).toBe(10);
    if (available.get("1399")) expect(after[0].id).toBe("1399");
    expect(after.map((p) => p.id)).not.toContain(before[0].id);
    for (const p of after) expect(available.get(p.id)).toBe(true);
  }, 30_000);

  it("never serves a deleted product once its delete is seen, and 404s after uninstall", async () => {
    const top = (await ids({ product_id: "1020", limit: "5" }))[0].id;
    // As the product deletes (webhook, sync): the row goes and a tombstone records it.
    await deleteProduct(db, SHOP, top);
    await bump();
    expect((await ids({ product_id: "1020", limit: "5" })).map((p) => p.id)).not.toContain(top);
    await db.shop.update({ where: { domain: SHOP }, data: { uninstalledAt: new Date() } });
    await bump();
    expect((await similar({ product_id: "1020" })).status).toBe(404);
  }, 30_000);

  it("serves client build files and hands everything else to Remix", async () => {
    const asset = readdirSync(path.join(ROOT, "build/client/assets")).find((f) => f.endsWith(".js"))!;
    const res = await fetch(`${app.baseUrl}/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/immutable/);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${app.baseUrl}/no-such-page-${Date.now()}`)).status).toBe(404);
    const home = await fetch(`${app.baseUrl}/`, { redirect: "manual" });
    expect(home.status).toBeLessThan(500);
    const post = await fetch(signedUrl(app.baseUrl, "visual-search", SHOP, {}), { method: "GET" });
    expect(post.status).toBe(405); // through the Remix route
  });
});
