import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { meanColourEmbedder, meanColourVector } from "../../test/support/embedding";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { decodePhoto, prepareImage, prepareRegion } from "../embedding/image/image-preprocess.server";
import { WHOLE_PHOTO } from "../embedding/image/photo-region";
import { NO_VIEWS } from "../embedding/image/query-views";
import { l2normalize } from "../embedding/vector-codec";
import type { LiveCatalog } from "../live-index/live-catalog";
import { ProductImageIndex } from "../search/product-image-index.server";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { AUTO_BOX_GATE, AUTO_BOX_GATE_SPANNING, autoBoxFromEnv, autoBoxGate, chooseRegion, OBJECT_TRIM_SIDE, photoQuery, resultTypes, trimIsolatesObject } from "./photo-query.server";
import { DEFAULT_PHOTO_SEARCH, photoSearchExplained } from "./photo.server";

const forwards = { n: 0 };
const embedder = meanColourEmbedder(forwards);

async function catalogOf(products: { id: string; rgb: [number, number, number]; type: string }[]): Promise<LiveCatalog> {
  const index = new ShopVectorIndex({ dims: { image: 3, color: COLOR_DIM, text: 2 }, weights: { image: 0.6, color: 0.2, text: 0.2 } });
  const images = ProductImageIndex.create(3);
  for (const p of products) {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: p.rgb[0], g: p.rgb[1], b: p.rgb[2] } } }).png().toBuffer();
    const prepared = await prepareImage(png);
    const attrs = { price: 1, available: true, productType: p.type, vendor: "", tags: [] };
    index.upsert(p.id, { image: meanColourVector(prepared), color: prepared.color, text: l2normalize([1, 0]) }, attrs);
    images.setProduct(p.id, [meanColourVector(prepared)], attrs);
  }
  return { index, images, imageMean: null } as unknown as LiveCatalog;
}

/** A busy scene (random green noise, like no product) with a red patch in its top-left corner. */
async function clutteredPhoto(): Promise<Buffer> {
  const w = 200;
  const h = 200;
  const noise = Buffer.alloc(w * h * 3);
  let seed = 7;
  for (let i = 0; i < noise.length; i++) noise[i] = ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 100) + (i % 3 === 1 ? 150 : 0);
  const red = await sharp({ create: { width: 110, height: 110, channels: 3, background: { r: 230, g: 20, b: 20 } } }).png().toBuffer();
  return sharp(noise, { raw: { width: w, height: h, channels: 3 } }).composite([{ input: red, left: 5, top: 5 }]).png().toBuffer();
}

describe("automatic box", () => {
  it("on a busy background searches the crop whose best catalog match beats the whole photo's, in one micro-batch", async () => {
    const catalog = await catalogOf([
      { id: "red", rgb: [230, 20, 20], type: "Shirt" },
      { id: "blue", rgb: [50, 50, 200], type: "Plant" },
    ]);
    const photo = await decodePhoto(await clutteredPhoto());
    forwards.n = 0;
    const chosen = await chooseRegion(catalog, photo, {}, { embedder });
    expect(chosen.box.guessed).toBe(true);
    expect(chosen.box).toMatchObject({ x: 0, y: 0, w: 0.7, h: 0.7 });
    expect(chosen.forwards).toBe(6);
    expect(forwards.n).toBe(6);
    const off = await chooseRegion(catalog, photo, {}, { embedder, autoBox: false });
    expect(off.box).toEqual({ x: 0, y: 0, w: 1, h: 1, guessed: false });
    expect(off.forwards).toBe(0);
  });

  it("reuses the chosen view's embedding: 6 images when a crop is chosen (searched alone), 6 + 1 (the zoom view) for the whole photo", async () => {
    const catalog = await catalogOf([
      { id: "red", rgb: [230, 20, 20], type: "Shirt" },
      { id: "blue", rgb: [50, 50, 200], type: "Plant" },
      { id: "green", rgb: [40, 160, 40], type: "Plant" },
    ]);
    const cluttered = await decodePhoto(await clutteredPhoto());
    forwards.n = 0;
    const onCrop = await photoQuery(catalog, cluttered, {}, 3, {}, { embedder });
    expect(forwards.n).toBe(6);
    const crop = await chooseRegion(catalog, cluttered, {}, { embedder });
    expect(crop.crop).toBe(true);
    expect(onCrop.box).toEqual(crop.box);
    const alone = await photoSearchExplained(catalog, embedder, crop.region.image, 3, {}, { ...DEFAULT_PHOTO_SEARCH, views: NO_VIEWS });
    expect(onCrop.hits).toEqual(alone.hits);

    const studio = await decodePhoto(
      await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 255, g: 255, b: 255 } } })
        .composite([{ input: { create: { width: 80, height: 60, channels: 3, background: { r: 230, g: 20, b: 20 } } }, left: 60, top: 70 }])
        .png()
        .toBuffer(),
    );
    forwards.n = 0;
    const onWhole = await photoQuery(catalog, studio, {}, 3, {}, { embedder });
    expect(DEFAULT_PHOTO_SEARCH.views.zooms).toHaveLength(1);
    expect(forwards.n).toBe(6 + 1);
    const whole = await chooseRegion(catalog, studio, {}, { embedder });
    expect(whole.crop).toBe(false);
    const fresh = await photoSearchExplained(catalog, embedder, whole.region.image, 3, {}, DEFAULT_PHOTO_SEARCH);
    expect(onWhole.hits).toEqual(fresh.hits);
  });

  it("on a studio backdrop keeps the foreground trim unless a crop beats it by the gate", async () => {
    const catalog = await catalogOf([{ id: "red", rgb: [230, 20, 20], type: "" }]);
    const studio = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .composite([{ input: { create: { width: 80, height: 60, channels: 3, background: { r: 230, g: 20, b: 20 } } }, left: 60, top: 70 }])
      .png()
      .toBuffer();
    const chosen = await chooseRegion(catalog, await decodePhoto(studio), {}, { embedder });
    expect(chosen.box.guessed).toBe(true);
    expect(chosen.box.x).toBeCloseTo(0.29, 1);
    expect(chosen.box.w).toBeCloseTo(0.42, 1);
  });

  it("on a plain ground with things across the whole photo (the trim spans it both ways) a crop wins by less than the studio gate", async () => {
    const catalog = await catalogOf([{ id: "red", rgb: [230, 20, 20], type: "Shirt" }]);
    const dark = (left: number, top: number) => ({ input: { create: { width: 14, height: 14, channels: 3 as const, background: { r: 20, g: 20, b: 20 } } }, left, top });
    const scene = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: { create: { width: 120, height: 120, channels: 3, background: { r: 230, g: 20, b: 20 } } }, left: 12, top: 12 }, dark(180, 180), dark(180, 8), dark(8, 180)])
      .png()
      .toBuffer();
    const photo = await decodePhoto(scene);
    const whole = await prepareRegion(photo, embedder.spec, WHOLE_PHOTO);
    // The border test calls the plain ground a backdrop, but the trim keeps nearly all of the photo.
    expect(whole.uniformBorder).toBe(true);
    expect(Math.min(whole.trim!.w, whole.trim!.h)).toBeGreaterThan(OBJECT_TRIM_SIDE);
    expect(trimIsolatesObject(whole)).toBe(false);
    const topLeft = { x: 0, y: 0, w: 0.7, h: 0.7 };
    const crop = await prepareRegion(photo, embedder.spec, topLeft);
    const red = meanColourVector(crop.image); // the crop is nearly all red: its match with the red product
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((t, v, i) => t + v * b[i], 0);
    const margin = cos(meanColourVector(crop.image), red) - cos(meanColourVector(whole.image), red);
    expect(margin).toBeGreaterThan(AUTO_BOX_GATE_SPANNING);
    expect(margin).toBeLessThan(AUTO_BOX_GATE); // the studio gate would have kept the whole photo
    expect(autoBoxGate(whole)).toBe(AUTO_BOX_GATE_SPANNING);
    const chosen = await chooseRegion(catalog, photo, {}, { embedder });
    expect(chosen.box).toEqual({ ...topLeft, guessed: true });
  });

  it("the trim isolates an object when it leaves backdrop across one axis, on a uniform border only", () => {
    const trim = (w: number, h: number) => ({ x: (1 - w) / 2, y: (1 - h) / 2, w, h });
    expect(trimIsolatesObject({ uniformBorder: true, trim: trim(0.4, 0.95) })).toBe(true); // a tall product on white
    expect(trimIsolatesObject({ uniformBorder: true, trim: trim(OBJECT_TRIM_SIDE, 1) })).toBe(true);
    expect(trimIsolatesObject({ uniformBorder: true, trim: trim(0.9, 0.95) })).toBe(false); // spans both ways
    expect(trimIsolatesObject({ uniformBorder: true, trim: null })).toBe(false); // nothing to trim
    expect(trimIsolatesObject({ uniformBorder: false, trim: trim(0.4, 0.4) })).toBe(false); // busy border
    expect(autoBoxGate({ uniformBorder: true, trim: trim(0.4, 0.95) })).toBe(AUTO_BOX_GATE);
    expect(autoBoxGate({ uniformBorder: true, trim: trim(0.9, 0.95) })).toBe(AUTO_BOX_GATE_SPANNING);
    expect(autoBoxGate({ uniformBorder: true, trim: null })).toBe(AUTO_BOX_GATE_SPANNING);
    expect(autoBoxGate({ uniformBorder: false, trim: null })).toBe(0);
    expect(AUTO_BOX_GATE_SPANNING).toBeLessThan(AUTO_BOX_GATE);
  });

  it("a given box is searched as given; PHOTO_AUTO_BOX=0 is the operator's switch", async () => {
    const catalog = await catalogOf([{ id: "red", rgb: [230, 20, 20], type: "Shirt" }]);
    const photo = await decodePhoto(await clutteredPhoto());
    const given = await chooseRegion(catalog, photo, {}, { embedder }, { x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    expect(given.box).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.5, guessed: false });
    expect(given.forwards).toBe(0);
    expect(autoBoxFromEnv({ PHOTO_AUTO_BOX: "0" } as unknown as NodeJS.ProcessEnv)).toBe(false);
    expect(autoBoxFromEnv({} as unknown as NodeJS.ProcessEnv)).toBe(true);
  });

  it("result types: most frequent first, ties by best rank, untyped products not counted", async () => {
    const catalog = await catalogOf([
      { id: "a", rgb: [1, 1, 1], type: "Bag" },
      { id: "b", rgb: [2, 2, 2], type: "Shoe" },
      { id: "c", rgb: [3, 3, 3], type: "Shoe" },
      { id: "d", rgb: [4, 4, 4], type: "" },
      { id: "e", rgb: [5, 5, 5], type: "Hat" },
    ]);
    const hit = (id: string) => ({ id, score: 0, contributions: { image: 0, color: 0, text: 0 } });
    expect(resultTypes(catalog, ["a", "d", "b", "e", "c"].map(hit))).toEqual([
      { value: "Shoe", count: 2 },
      { value: "Bag", count: 1 },
      { value: "Hat", count: 1 },
    ]);
  });
});
