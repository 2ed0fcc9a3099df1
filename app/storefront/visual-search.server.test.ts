/**
 * POST /proxy/visual-search with a box and words (issue 23), through the real handler with a real
 * signed Request and multipart body; the catalog is a small in-memory one and the image model a
 * stand-in that embeds a view's mean colour (so which part of the photo is searched decides the
 * answer).
 */
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { meanColourEmbedder, meanColourVector } from "../../test/support/embedding";
import { signAppProxyQuery } from "../demo/app-proxy-signature";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { prepareImage } from "../embedding/image/image-preprocess.server";
import { l2normalize } from "../embedding/vector-codec";
import type { LiveCatalog } from "../live-index/live-catalog";
import { ProductImageIndex } from "../search/product-image-index.server";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../shops/shop-settings";
import { visualSearchHandler } from "./proxy-handlers.server";
import type { StorefrontServices } from "./storefront-services";

const SECRET = "test-api-secret-0123456789";
process.env.SHOPIFY_API_SECRET = SECRET;
process.env.SHOPIFY_API_KEY ??= "test-api-key";
process.env.SHOPIFY_APP_URL ??= "http://localhost:3000";
const SHOP = "box-test.myshopify.com";

const embedder = meanColourEmbedder();

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g, b } } }).png().toBuffer();

/** A photo: red on the left half, blue on the right. */
const halves = () =>
  sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .composite([{ input: { create: { width: 100, height: 100, channels: 3, background: { r: 255, g: 0, b: 0 } } }, left: 0, top: 0 }])
    .png()
    .toBuffer();

let catalog: LiveCatalog;

beforeAll(async () => {
  const dims = { image: 3, color: COLOR_DIM, text: 4 };
  const index = new ShopVectorIndex({ dims, weights: { image: 0.5, color: 0.2, text: 0.3 } });
  const images = ProductImageIndex.create(3);
  const cards = new Map();
  const products = [
    { id: "1", colour: [255, 0, 0], type: "Shirts" },
    { id: "2", colour: [0, 0, 255], type: "Bags" },
    { id: "3", colour: [200, 0, 40], type: "Shirts" },
  ] as const;
  for (const p of products) {
    const prepared = await prepareImage(await solid(p.colour[0], p.colour[1], p.colour[2]));
    const vector = meanColourVector(prepared);
    const attrs = { price: 10, available: true, productType: p.type, vendor: "", tags: [] };
    index.upsert(p.id, { image: vector, color: prepared.color, text: l2normalize(Float32Array.from([1, 0, 0, Number(p.id)])) }, attrs);
    images.setProduct(p.id, [vector], attrs);
    cards.set(p.id, { id: p.id, handle: `p${p.id}`, title: `P${p.id}`, price: "10.00", currency: "EUR", image: null, url: `/products/p${p.id}`, localImage: false });
  }
  catalog = { shop: SHOP, index, images, imageMean: null, cards, version: 1, installed: true, settings: structuredClone(DEFAULT_SETTINGS) } as unknown as LiveCatalog;
});

function services(): StorefrontServices {
  return {
    db: {} as StorefrontServices["db"],
    catalogs: Promise.resolve({ get: async () => catalog } as unknown as Awaited<StorefrontServices["catalogs"]>),
    embedder: Promise.resolve(embedder),
    textEmbedder: Promise.resolve({ modelId: "hashed-text-t2", dim: 4, embedTexts: async (t: string[]) => t.map(() => new Float32Array(4)) } as unknown as Awaited<StorefrontServices["textEmbedder"]>),
    rateLimits: { check: async () => {}, charge: async () => {} } as unknown as StorefrontServices["rateLimits"],
    resultCache: {} as StorefrontServices["resultCache"],
  };
}

async function search(params: Record<string, string>, photo?: Buffer) {
  const url = `https://app.example/proxy/visual-search?${signAppProxyQuery(new URLSearchParams(params), { shop: SHOP, secret: SECRET })}`;
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(photo ?? (await halves()))], { type: "image/png" }), "photo.png");
  const res = await visualSearchHandler(services(), new Request(url, { method: "POST", body: form }));
  return { status: res.status, body: (await res.json()) as { products: { id: string }[]; box: Record<string, unknown>; types: { value: string; count: number }[]; error?: { code: string; message: string } } };
}

describe("POST /proxy/visual-search with a box", () => {
  it("searches the region the shopper points at: a box on the red half and one on the blue half give other first results", async () => {
    const left = await search({ box_x: "0", box_y: "0", box_w: "0.5", box_h: "1", limit: "3" });
    expect(left.status).toBe(200);
    expect(left.body.products[0].id).not.toBe("2");
    expect(left.body.box).toEqual({ x: 0, y: 0, w: 0.5, h: 1, guessed: false });
    const right = await search({ box_x: "0.5", box_y: "0", box_w: "0.5", box_h: "1", limit: "3" });
    expect(right.body.products[0].id).toBe("2");
    expect(right.body.products).toHaveLength(3);
  });

  it("answers the kinds among the results, most frequent first", async () => {
    const { body } = await search({ box_x: "0", box_y: "0", box_w: "0.5", box_h: "1", limit: "3" });
    expect(body.types).toEqual([
      { value: "Shirts", count: 2 },
      { value: "Bags", count: 1 },
    ]);
  });

  it("narrows by kind with the existing type filter", async () => {
    const { body } = await search({ box_x: "0.5", box_y: "0", box_w: "0.5", box_h: "1", limit: "3", type: "Shirts" });
    expect(body.products.map((p) => p.id).sort()).toEqual(["1", "3"]);
    expect(body.types).toEqual([{ value: "Shirts", count: 2 }]);
  });

  it("without a box, returns the box it searched (the whole photo here: its border is not a backdrop, and no crop beats it)", async () => {
    const { status, body } = await search({ limit: "3" });
    expect(status).toBe(200);
    expect(body.box).toMatchObject({ guessed: expect.any(Boolean) });
    for (const k of ["x", "y", "w", "h"]) expect(typeof body.box[k]).toBe("number");
  });

  it("on a studio photo (uniform backdrop) guesses the product's box from the foreground", async () => {
    const studio = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .composite([{ input: { create: { width: 60, height: 80, channels: 3, background: { r: 255, g: 0, b: 0 } } }, left: 100, top: 40 }])
      .png()
      .toBuffer();
    const { body } = await search({ limit: "3" }, studio);
    expect(body.box.guessed).toBe(true);
    expect(body.box.x as number).toBeGreaterThan(0.4);
    expect(body.box.w as number).toBeLessThan(0.5);
    expect(body.products[0].id).not.toBe("2");
  });

  it("words: a colour word prefers the product of that colour among the photo's candidates", async () => {
    // The whole photo is half red, half blue: it looks about as much like either; the word decides.
    const whole = { box_x: "0", box_y: "0", box_w: "1", box_h: "1", limit: "3" };
    const blue = await search({ ...whole, q: "but in blue" });
    const red = await search({ ...whole, q: "this, in red" });
    expect(blue.body.products[0].id).toBe("2");
    expect(red.body.products[0].id).not.toBe("2");
    expect(blue.body.products).toHaveLength(3);
  });

  it.each([
    [{ box_x: "0.6", box_y: "0", box_w: "0.5", box_h: "1" }, "invalid_box", "box_x + box_w"],
    [{ box_x: "0", box_y: "0", box_w: "0", box_h: "1" }, "invalid_box", "box_w"],
    [{ box_x: "0", box_y: "0", box_w: "-0.2", box_h: "1" }, "invalid_box", "box_w"],
    [{ box_x: "a", box_y: "0", box_w: "0.5", box_h: "1" }, "invalid_box", "box_x"],
    [{ box_x: "0", box_y: "0" }, "invalid_box", "box_w"],
    [{ q: "x".repeat(201) }, "invalid_query", "q"],
  ])("refuses %o with 400 %s", async (params, code, field) => {
    const { status, body } = await search(params);
    expect(status).toBe(400);
    expect(body.error!.code).toBe(code);
    expect(body.error!.message).toContain(field);
  });
});
