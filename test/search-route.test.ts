/**
 * The storefront search path without processes: app proxy signature (against Shopify's own
 * validator), merchant ranking rules, the result cache and the LiveCatalogs memory budget.
 */
import "@shopify/shopify-api/adapters/node";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ApiVersion, shopifyApi } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import { centre } from "../app/embedding/catalog-centring";
import { dot, fromBytes, l2normalize, packVectors, toBytes, unpackVectors } from "../app/embedding/vector-codec";
import { ProductImageIndex } from "../app/search/product-image-index.server";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import { syntheticCatalog } from "../scripts/lib/synthetic-catalog";
import { DEFAULT_SETTINGS, type ShopSettings } from "../app/shops/shop-settings";
import type { LiveCard, LiveCatalog } from "../app/live-index/live-catalog";
import { LiveCatalogs } from "../app/live-index/live-catalogs.server";
import { verifyAppProxySignature } from "../app/storefront/proxy-signature.server";
import { rulesFromRows } from "../app/live-index/product-rules";
import { rankSimilar, variantGroup } from "../app/ranking/similar.server";
import { ResultCache } from "../app/storefront/result-cache.server";
import { NO_FACETS } from "../app/embedding/text/tag-facets";

const SECRET = "test-secret-abc";

describe("app proxy signature", () => {
  const api = shopifyApi({
    apiKey: "k",
    apiSecretKey: SECRET,
    apiVersion: ApiVersion.January26,
    hostName: "localhost",
    isEmbeddedApp: true,
    logger: { level: 0 },
  });
  const shopifyValid = (p: URLSearchParams) => api.utils.validateHmac(Object.fromEntries(p.entries()), { signator: "appProxy" }).catch(() => false);

  it("agrees with @shopify/shopify-api's validateHmac", async () => {
    const cases: URLSearchParams[] = [];
    const good = signAppProxyQuery(new URLSearchParams({ product_id: "123", limit: "5", filter: "@price:[10 50] @type:{Bags|Hats}" }), { shop: "a.myshopify.com", secret: SECRET });
    cases.push(good);
    const tampered = new URLSearchParams(good);
    tampered.set("product_id", "124");
    cases.push(tampered);
    cases.push(signAppProxyQuery(new URLSearchParams({ product_id: "1" }), { shop: "a.myshopify.com", secret: "other" }));
    cases.push(signAppProxyQuery(new URLSearchParams({ product_id: "1" }), { shop: "a.myshopify.com", secret: SECRET, now: Date.now() - 10 * 60_000 }));
    cases.push(signAppProxyQuery(new URLSearchParams({ "Z": "1", a: "2", "é": "3" }), { shop: "a.myshopify.com", secret: SECRET }));
    for (const p of cases) expect(verifyAppProxySignature(p, SECRET)).toBe(await shopifyValid(p));
    expect(verifyAppProxySignature(good, SECRET)).toBe(true);
    const noSig = new URLSearchParams(good);
    noSig.delete("signature");
    expect(verifyAppProxySignature(noSig, SECRET)).toBe(false);
    noSig.set("signature", "zz");
    expect(verifyAppProxySignature(noSig, SECRET)).toBe(false);
  });

  it("joins repeated parameters with commas, as Shopify signs them", () => {
    const p = new URLSearchParams([["tag", "a"], ["tag", "b"]]);
    const signed = signAppProxyQuery(p, { shop: "a.myshopify.com", secret: SECRET });
    expect(signed.getAll("tag")).toEqual(["a", "b"]);
    expect(verifyAppProxySignature(signed, SECRET)).toBe(true);
  });
});

const dims = { image: 16, color: 4, text: 8 };
function smallCatalog(n = 300, settings: Partial<ShopSettings> = {}): LiveCatalog {
  const products = syntheticCatalog({ n, dims, clusters: 5, seed: 3, noise: 0.8 });
  const index = new ShopVectorIndex({ dims, weights: { image: 0.6, color: 0.2, text: 0.2 } });
  const images = ProductImageIndex.create(dims.image);
  const cards = new Map<string, LiveCard>();
  products.forEach((p, i) => {
    const id = String(1000 + i);
    index.upsert(id, p.vectors, p.attrs);
    images.setProduct(id, [p.vectors.image!], p.attrs);
    cards.set(id, { id, handle: `p${i}`, title: `Product ${i}`, price: p.attrs.price.toFixed(2), currency: "USD", image: null, url: `/products/p${i}`, variantId: null, available: true, localImage: false });
  });
  return { shop: "s.myshopify.com", index, images, imageMean: null, facets: NO_FACETS, cards, version: 1, installed: true, settings: { ...DEFAULT_SETTINGS, ...settings }, rules: new Map(), weightsKey: "x" };
}

describe("ranking rules", () => {
  it("returns limit results, never the product itself", () => {
    const c = smallCatalog();
    const hits = rankSimilar(c, "1000", 10, {});
    expect(hits).toHaveLength(10);
    expect(hits.map((h) => h.id)).not.toContain("1000");
  });

  it("pins first (in order, filtered), excludes never", () => {
    const c = smallCatalog();
    const plain = rankSimilar(c, "1000", 10, {}).map((h) => h.id);
    c.rules = rulesFromRows([
      { productId: "1000", targetId: "1250", kind: "pin" },
      { productId: "1000", targetId: "1251", kind: "pin" },
      { productId: "1000", targetId: plain[0], kind: "exclude" },
      { productId: "1000", targetId: plain[1], kind: "exclude" },
    ]);
    const ids = rankSimilar(c, "1000", 10, {}).map((h) => h.id);
    expect(ids.slice(0, 2)).toEqual(["1250", "1251"]);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain(plain[0]);
    expect(ids).not.toContain(plain[1]);
  });

  it("applies the shop's settings: hide out of stock, excluded types and tags, price band", () => {
    const c = smallCatalog(300, { hideOutOfStock: true, excludedProductTypes: ["bags"], excludedTags: ["P10"], priceBand: 0.5 });
    const self = c.index.attributes("1000")!;
    const hits = rankSimilar(c, "1000", 10, {});
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      const a = c.index.attributes(h.id)!;
      expect(a.available).toBe(true);
      expect(a.productType).not.toBe("Bags");
      expect(a.tags).not.toContain("p10");
      expect(a.price).toBeGreaterThanOrEqual(self.price * 0.5 - 1e-9);
      expect(a.price).toBeLessThanOrEqual(self.price * 1.5 + 1e-9);
    }
    expect(rankSimilar(c, "1000", 10, { available: false })).toEqual([]);
  });

  it("variants of one product never fill the list", () => {
    const c = smallCatalog();
    const first = rankSimilar(c, "1000", 30, {}).map((h) => h.id);
    // The nearest products of the most common vendor become colours of one product.
    const byVendor = new Map<string, string[]>();
    for (const id of first) byVendor.set(c.index.vendorOf(id), [...(byVendor.get(c.index.vendorOf(id)) ?? []), id]);
    const variants = [...byVendor.values()].sort((a, b) => b.length - a.length)[0];
    expect(variants.length).toBeGreaterThan(2);
    // Cards are replaced, never changed in place (the live index's rule; ranking memoises each card's group).
    for (const id of variants) c.cards.set(id, { ...c.cards.get(id)!, title: `Canvas Tote - Colour ${id}` });
    const ids = rankSimilar(c, "1000", 10, {}).map((h) => h.id);
    expect(ids).toHaveLength(10);
    const groups = ids.map((id) => variantGroup(c.cards.get(id)!, c.index.vendorOf(id)));
    expect(new Set(groups).size).toBe(10);
    expect(ids.filter((id) => c.cards.get(id)!.title.startsWith("Canvas Tote")).length).toBe(1);
  });

  it("boosts in-stock products", () => {
    const c = smallCatalog();
    const hits = rankSimilar(c, "1000", 10, {});
    // Any out-of-stock hit ranked above an in-stock one must beat it by more than the boost.
    for (let i = 0; i < hits.length; i++)
      for (let j = i + 1; j < hits.length; j++)
        expect(hits[i].score).toBeGreaterThanOrEqual(hits[j].score);
    const plain = c.index.searchByProduct("1000", { k: 40, contributions: false });
    const sim = new Map(plain.map((h) => [h.id, h.score]));
    for (const h of hits) expect(h.score).toBeCloseTo(sim.get(h.id)! + (c.index.isAvailable(h.id) ? 0.03 : 0), 6);
  });
});

describe("result cache", () => {
  it("LRU layer keyed by catalog version; off means off", async () => {
    const rc = new ResultCache(null, { enabled: true, lruEntries: 2, ttlSeconds: 60, namespace: "t" });
    const k1 = rc.key("s", 1, "w", "a");
    rc.set(k1, Buffer.from("one"));
    expect(rc.local(k1)?.toString()).toBe("one");
    expect(rc.local(rc.key("s", 2, "w", "a"))).toBeUndefined();
    rc.set(rc.key("s", 1, "w", "b"), Buffer.from("b"));
    expect(rc.local(k1)?.toString()).toBe("one");
    rc.set(rc.key("s", 1, "w", "c"), Buffer.from("c"));
    expect(rc.local(rc.key("s", 1, "w", "b"))).toBeUndefined(); // k1 was used more recently than b
    expect(rc.local(k1)?.toString()).toBe("one");
    expect(await rc.remote(k1)).toBeUndefined();
    const off = new ResultCache(null, { enabled: false, lruEntries: 2, ttlSeconds: 60, namespace: "t" });
    off.set(k1, Buffer.from("x"));
    expect(off.local(k1)).toBeUndefined();
  });
});

describe("LiveCatalogs", () => {
  function fakeDb(shops: Record<string, { n: number; settings?: string; version?: number }>) {
    const now = new Date(1_700_000_000_000);
    const rowsOf = (shop: string) => {
      const products = syntheticCatalog({ n: shops[shop].n, dims: { image: 16, color: COLOR_DIM, text: TEXT_DIM }, clusters: 3, seed: shop.length });
      // Even rows carry per-photo vectors (the product's vector and a variant of it); odd rows are
      // from the older recipe (mean vector only).
      const variant = (v: Float32Array) => l2normalize(v.map((x, j) => x + (j % 3 === 0 ? 0.5 : 0)));
      return products.map((p, i) => ({
        imageVectors: i % 2 === 0 ? packVectors([p.vectors.image as Float32Array, variant(p.vectors.image as Float32Array)]) : null,
        id: String(i + 1), handle: `h${i}`, title: `T${i}`, priceText: "1.00", price: p.attrs.price, currency: "USD", imageUrls: "[]", onlineStoreUrl: null,
        available: p.attrs.available, productType: p.attrs.productType, vendor: p.attrs.vendor, tags: JSON.stringify(p.attrs.tags), updatedAt: new Date(now.getTime() + i * 60_000), // products added later are newer
        status: "ACTIVE", embeddedAt: now, modelId: "m", imageVector: toBytes(p.vectors.image!), colorVector: toBytes(p.vectors.color!), textVector: toBytes(p.vectors.text!),
      }));
    };
    const cache = new Map<string, ReturnType<typeof rowsOf>>();
    const rows = (shop: string) => {
      const key = `${shop}:${shops[shop].n}`;
      return cache.get(key) ?? (cache.set(key, rowsOf(shop)), cache.get(key)!);
    };
    type W = { where: { domain?: string; shopDomain?: string; id?: { in: string[] }; updatedAt?: { gt: Date } } };
    const reads = { vectors: 0 };
    return {
      shop: {
        findUnique: async ({ where }: W) => {
          const s = shops[where.domain!];
          return s ? { catalogVersion: s.version ?? 1, settings: s.settings ?? "{}", uninstalledAt: null } : null;
        },
      },
      product: {
        findMany: async ({ where }: W) => {
          const all = rows(where.shopDomain!);
          if (where.id) reads.vectors += where.id.in.length;
          if (where.updatedAt) return all.filter((r) => r.updatedAt > where.updatedAt!.gt); // a refresh reads what changed since
          return where.id ? all.filter((r) => where.id!.in.includes(r.id)) : all;
        },
        // A shop opened from its snapshot: how many rows changed since it, and how many are live (all are).
        count: async ({ where }: W) => rows(where.shopDomain!).filter((r) => !where.updatedAt || r.updatedAt > where.updatedAt.gt).length,
        aggregate: async ({ where }: W) => ({ _max: { updatedAt: new Date(Math.max(...rows(where.shopDomain!).map((r) => r.updatedAt.getTime()))) } }),
      },
      productTombstone: { findMany: async () => [], aggregate: async () => ({ _max: { deletedAt: null } }) },
      productRule: { findMany: async () => [] },
      reads,
      rows,
    };
  }

  it("holds every stored photo in the per-photo index, centres the combined index on the catalog mean, and restores both from disk", async () => {
    const shop = "photos.myshopify.com";
    const db = fakeDb({ [shop]: { n: 60 } });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "live-catalogs-"));
    try {
      const lc = new LiveCatalogs({ db: db as never, dataDir, imageModelId: "m", imageDim: 16 });
      const c = await lc.get(shop);
      expect(c.images.size).toBe(60);
      expect(c.images.photos).toBe(60 + 30); // 2 photos on even rows, the mean vector on odd rows
      // A shopper's photo equal to product 1's second photo finds product 1 first, by that photo.
      const second = unpackVectors(db.rows(shop)[0].imageVectors!, 16)[1];
      const [top] = c.images.search(second, { k: 5 });
      expect(top.id).toBe("1");
      expect(top.score).toBeCloseTo(1, 4);
      // The combined index's image channel is centred on the mean of the products' image vectors.
      const images = db.rows(shop).map((r) => fromBytes(r.imageVector));
      const mean = images[0].map((_, j) => images.reduce((s, v) => s + v[j], 0) / images.length);
      expect(c.imageMean!.count).toBe(60);
      Array.from(c.imageMean!.mean).forEach((x, j) => expect(x).toBeCloseTo(mean[j], 5));
      const [hit] = c.index.searchByProduct("1", { k: 1 });
      const w = c.index.weights;
      const cosCentred = dot(centre(images[0], c.imageMean!.mean), centre(images[Number(hit.id) - 1], c.imageMean!.mean));
      expect(hit.contributions.image).toBeCloseTo(w.image * cosCentred, 3); // channel split from the int8 copy
      await lc.save(c);
      await lc.close();

      const readsBefore = db.reads.vectors;
      const restarted = new LiveCatalogs({ db: db as never, dataDir, imageModelId: "m", imageDim: 16 });
      const r = await restarted.get(shop);
      expect(db.reads.vectors).toBe(readsBefore); // nothing re-read from the database
      expect(r.images.photos).toBe(90);
      expect(r.images.search(second, { k: 1 })[0].id).toBe("1");
      expect(Array.from(r.imageMean!.mean)).toEqual(Array.from(c.imageMean!.mean));
      expect(r.index.searchByProduct("1", { k: 1 })[0].contributions.image).toBeCloseTo(hit.contributions.image, 5);
      await restarted.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("drops least recently used shops over the memory budget and reloads them on demand", async () => {
    const db = fakeDb({ "a.myshopify.com": { n: 300 }, "b.myshopify.com": { n: 300 }, "c.myshopify.com": { n: 300 } });
    const probe = new LiveCatalogs({ db: db as never, dataDir: "/nonexistent", imageModelId: "m", imageDim: 16, memoryBudgetBytes: 1e12 });
    await probe.get("a.myshopify.com");
    const one = probe.loaded()[0].bytes;
    const lc = new LiveCatalogs({ db: db as never, dataDir: "/nonexistent", imageModelId: "m", imageDim: 16, memoryBudgetBytes: Math.floor(one * 2.5) });
    await lc.get("a.myshopify.com");
    await lc.get("b.myshopify.com");
    await lc.get("a.myshopify.com"); // a is now the most recently used
    await lc.get("c.myshopify.com");
    expect(lc.loaded().map((e) => e.shop)).toEqual(["a.myshopify.com", "c.myshopify.com"]);
    expect(lc.evictions.map((e) => e.shop)).toEqual(["b.myshopify.com"]);
    const b = await lc.get("b.myshopify.com");
    expect(b.index.size).toBe(300);
    await Promise.all([probe.close(), lc.close()]);
  });

  it("centres on the catalog mean once the shop has enough products, and re-centres after the catalog grew", async () => {
    const shop = "growing.myshopify.com";
    const shops = { [shop]: { n: 10, version: 1 } };
    const db = fakeDb(shops);
    const lc = new LiveCatalogs({ db: db as never, dataDir: "/nonexistent", imageModelId: "m", imageDim: 16 });
    expect((await lc.get(shop)).imageMean).toBeNull(); // 10 products: too few to centre on
    const waitForMean = async (count: number) => {
      for (let i = 0; i < 200 && (await lc.get(shop)).imageMean?.count !== count; i++) await new Promise((r) => setTimeout(r, 20));
      return lc.get(shop);
    };
    shops[shop] = { n: 40, version: 2 };
    lc.markDirty(shop);
    const c40 = await waitForMean(40);
    expect(c40.index.size).toBe(40);
    expect(c40.images.size).toBe(40);
    shops[shop] = { n: 45, version: 3 }; // +12.5%: the mean still describes the catalog
    lc.markDirty(shop);
    const c45 = await lc.get(shop);
    expect(c45.index.size).toBe(45);
    expect(c45.imageMean!.count).toBe(40);
    shops[shop] = { n: 60, version: 4 }; // +50% since the mean: rebuilt in the background, centred anew
    lc.markDirty(shop);
    const c60 = await waitForMean(60);
    expect(c60.index.size).toBe(60);
    expect(c60.images.photos).toBe(90);
    await lc.close();
  });

  it("applies stored settings and rebuilds the index when the weights change", async () => {
    const shops = { "a.myshopify.com": { n: 200, version: 1, settings: "{}" } };
    const db = fakeDb(shops);
    const lc = new LiveCatalogs({ db: db as never, dataDir: "/nonexistent", imageModelId: "m", imageDim: 16 });
    const before = await lc.get("a.myshopify.com");
    expect(before.settings.hideOutOfStock).toBe(false);
    const key = before.weightsKey;
    shops["a.myshopify.com"] = { n: 200, version: 2, settings: JSON.stringify({ hideOutOfStock: true, weights: { image: 1, color: 0, text: 0 } }) };
    lc.markDirty("a.myshopify.com");
    await lc.get("a.myshopify.com");
    for (let i = 0; i < 100 && (await lc.get("a.myshopify.com")).weightsKey === key; i++) await new Promise((r) => setTimeout(r, 20));
    const after = await lc.get("a.myshopify.com");
    expect(after.settings.hideOutOfStock).toBe(true);
    expect(after.weightsKey).not.toBe(key);
    expect(after.index.weights).toEqual({ image: 1, color: 0, text: 0 });
    expect(after.index.size).toBe(200);
    await lc.close();
  });
});
