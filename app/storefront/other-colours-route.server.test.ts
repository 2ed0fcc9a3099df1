/**
 * GET /proxy/similar?…&colours=n ("Also in other colours", decision 49) through the real handler
 * with real signed Requests: the row beside the similar products, the same signature, bad-input and
 * unknown-product answers as the similar route, and its own result-cache entries.
 */
import { describe, expect, it } from "vitest";
import { signAppProxyQuery } from "../demo/app-proxy-signature";
import { l2normalize } from "../embedding/vector-codec";
import type { LiveCard, LiveCatalog } from "../live-index/live-catalog";
import { MAX_OTHER_COLOURS } from "../ranking/other-colours.server";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../shops/shop-settings";
import { similarHandler } from "./proxy-handlers.server";
import { ResultCache } from "./result-cache.server";
import type { StorefrontServices } from "./storefront-services";

const SECRET = "test-api-secret-0123456789";
process.env.SHOPIFY_API_SECRET = SECRET;
process.env.SHOPIFY_API_KEY ??= "test-api-key";
process.env.SHOPIFY_APP_URL ??= "http://localhost:3000";
const SHOP = "colours-test.myshopify.com";
const v = (...xs: number[]) => l2normalize(xs);

/** A hoodie listed in red (1), blue (2) and green (3), a red look-alike of another shape (4), a blue bag (5). */
function catalog(): LiveCatalog {
  const index = new ShopVectorIndex({ dims: { image: 3, color: 3, text: 2 }, weights: { image: 0.4, color: 0.1, text: 0.5 } });
  const cards = new Map<string, LiveCard>();
  const products = [
    { id: "1", image: v(1, 0, 0), color: v(1, 0, 0), type: "Hoodies" },
    { id: "2", image: v(0.95, 0.31, 0), color: v(0, 1, 0), type: "Hoodies" },
    { id: "3", image: v(0.9, 0, 0.43), color: v(0, 0, 1), type: "Hoodies" },
    { id: "4", image: v(0.2, 1, 0), color: v(1, 0, 0), type: "Hoodies" },
    { id: "5", image: v(1, 0.05, 0), color: v(0, 1, 0), type: "Bags" },
  ];
  for (const p of products) {
    index.upsert(p.id, { image: p.image, color: p.color, text: v(1, Number(p.id) / 10) }, { price: 10, available: true, productType: p.type, vendor: "", tags: [] });
    cards.set(p.id, { id: p.id, handle: `p${p.id}`, title: `Product ${p.id}`, price: "10.00", currency: "USD", image: null, url: `/products/p${p.id}`, variantId: null, available: true, localImage: false });
  }
  return { shop: SHOP, index, cards, version: 1, installed: true, settings: structuredClone(DEFAULT_SETTINGS), rules: new Map(), weightsKey: "w" } as unknown as LiveCatalog;
}

function services(c: LiveCatalog, resultCache = new ResultCache(null, { enabled: false, lruEntries: 0, ttlSeconds: 60, namespace: "t" })) {
  const checks: string[] = [];
  const s: StorefrontServices = {
    db: {} as StorefrontServices["db"],
    catalogs: Promise.resolve({ get: async () => c } as unknown as Awaited<StorefrontServices["catalogs"]>),
    embedder: Promise.reject(new Error("no model needed")),
    textEmbedder: Promise.reject(new Error("no model needed")),
    rateLimits: { check: async (route: string) => void checks.push(route), charge: async () => {} } as unknown as StorefrontServices["rateLimits"],
    resultCache,
  };
  s.embedder.catch(() => {});
  s.textEmbedder.catch(() => {});
  return { s, checks };
}

const signed = (params: Record<string, string>, secret = SECRET) => new Request(`https://shop.example/apps/lookalike/similar?${signAppProxyQuery(new URLSearchParams(params), { shop: SHOP, secret })}`);

interface Body {
  products: { id: string }[];
  colours?: { id: string; url: string }[];
  enabled: boolean;
  error?: { code: string };
}
async function get(svc: StorefrontServices, params: Record<string, string>, secret?: string): Promise<{ status: number; body: Body; headers: Headers }> {
  const res = await similarHandler(svc, signed(params, secret));
  return { status: res.status, body: (await res.json()) as Body, headers: res.headers };
}

describe("/proxy/similar?colours=n (also in other colours)", () => {
  it("answers the row beside the similar products: same shape and kind, other colours, as cards", async () => {
    const { s, checks } = services(catalog());
    const { status, body, headers } = await get(s, { product_id: "1", limit: "4", colours: "4" });
    expect(status).toBe(200);
    expect(headers.get("Cache-Control")).toBe("private, max-age=30");
    expect(body.enabled).toBe(true);
    expect(body.products.map((p) => p.id)).not.toContain("1");
    expect(body.colours!.map((p) => p.id)).toEqual(["2", "3"]);
    expect(body.colours![0].url).toContain("/products/p2");
    expect(checks).toEqual(["similar"]); // the row searches the index: the similar limits apply
    // The gid form of the id, and a row of one.
    expect((await get(s, { product_id: "gid://shopify/Product/1", colours: "1" })).body.colours!.map((p) => p.id)).toEqual(["2"]);
  });

  it("without colours (or colours=0) the answer is the similar route's, with no row", async () => {
    const { s } = services(catalog());
    const plain = await get(s, { product_id: "1", limit: "4" });
    expect(plain.body.colours).toBeUndefined();
    expect((await get(s, { product_id: "1", limit: "4", colours: "0" })).body).toEqual(plain.body);
    expect((await get(s, { product_id: "1", limit: "4", colours: "" })).body).toEqual(plain.body);
  });

  it("bad input: a colours value that is no count is a 400; an unknown product the route's 404; a bad signature 401", async () => {
    const { s } = services(catalog());
    for (const bad of ["-1", "1.5", "x", String(MAX_OTHER_COLOURS + 1), "1e1", " 2"]) {
      const r = await get(s, { product_id: "1", colours: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.error!.code).toBe("invalid_colours");
    }
    const unknown = await get(s, { product_id: "999", colours: "4" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error!.code).toBe("product_not_found");
    expect((await get(s, { product_id: "1", colours: "4" }, "not-the-secret")).status).toBe(401);
  });

  it("the merchant's similar switch off: no row either", async () => {
    const c = catalog();
    c.settings.blocks.similar = false;
    const { s } = services(c);
    expect((await get(s, { product_id: "1", colours: "4" })).body).toEqual({ products: [], enabled: false });
  });

  it("caches the row apart from the plain answer (in-process layer)", async () => {
    const cache = new ResultCache(null, { enabled: true, lruEntries: 100, ttlSeconds: 60, namespace: "t" });
    const c = catalog();
    const { s } = services(c, cache);
    const first = await get(s, { product_id: "1", limit: "4", colours: "4" });
    const plain = await get(s, { product_id: "1", limit: "4" });
    expect(plain.body.colours).toBeUndefined();
    // A change the cache cannot see (same catalog version) shows the answers come from it.
    c.index.remove("2");
    expect((await get(s, { product_id: "1", limit: "4", colours: "4" })).body).toEqual(first.body);
    expect((await get(s, { product_id: "1", limit: "4", colours: "3" })).body.colours!.map((p) => p.id)).toEqual(["3"]);
  });
});
