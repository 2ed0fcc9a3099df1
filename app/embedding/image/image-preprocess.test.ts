import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { COLOR_DIM } from "./color-signature.server";
import { ImageInputError } from "./image-errors";
import { prepareImage } from "./image-preprocess.server";
import { CLIP_IMAGE_MODEL_ID, CLIP_MEAN, CLIP_STD, DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../models/model-registry";
import { pngBomb, tensorPixel } from "../../../test/support/embedding";
import { dot } from "../vector-codec";

const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
const px = (t: Float32Array, x: number, y: number) => tensorPixel(t, x, y, spec.mean, spec.std);

async function expectCode(input: Buffer, code: ImageInputError["code"], opts?: Parameters<typeof prepareImage>[1]) {
  const err = await prepareImage(input, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageInputError);
  expect((err as ImageInputError).code).toBe(code);
  expect((err as ImageInputError).message).not.toMatch(/vips|sharp/i);
}

const solid = (w: number, h: number, c: { r: number; g: number; b: number }) =>
  sharp({ create: { width: w, height: h, channels: 3, background: c } });

/** Two halves: red on the left, blue on the right (no uniform border, so no trim). */
async function splitRedBlue(w: number, h: number): Promise<sharp.Sharp> {
  const blue = await solid(Math.floor(w / 2), h, { r: 0, g: 0, b: 255 }).png().toBuffer();
  return solid(w, h, { r: 255, g: 0, b: 0 }).composite([{ input: blue, left: Math.floor(w / 2), top: 0 }]);
}

function near(a: number[], b: number[], tol = 40) {
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol));
}

describe("prepareImage: refusals", () => {
  it("empty buffer -> empty", () => expectCode(Buffer.alloc(0), "empty"));

  it("over maxBytes -> too_large", async () => {
    const jpg = await solid(64, 64, { r: 1, g: 2, b: 3 }).jpeg().toBuffer();
    await expectCode(jpg, "too_large", { maxBytes: 100 });
    await expectCode(Buffer.alloc(11 * 1024 * 1024, 1), "too_large");
  });

  it("truncated JPEG -> corrupt", async () => {
    const noise = Buffer.from(Array.from({ length: 200 * 150 * 3 }, (_, i) => (i * 2654435761) >>> 24));
    const jpg = await sharp(noise, { raw: { width: 200, height: 150, channels: 3 } }).jpeg().toBuffer();
    await expectCode(jpg.subarray(0, Math.floor(jpg.length / 2)), "corrupt");
  });

  it("random bytes -> unsupported_format", async () => {
    const rnd = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761 + 12345) >>> 24));
    await expectCode(rnd, "unsupported_format");
  });

  it("SVG with <script> -> unsupported_format (never rendered)", async () => {
    const svg = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
      <script>alert(document.cookie)</script><rect width="100" height="100" fill="red"/></svg>`;
    await expectCode(Buffer.from(svg), "unsupported_format");
    await expectCode(Buffer.from("\ufeff   " + svg.replace(/^<\?xml[^>]*>/, "")), "unsupported_format");
  });

  it("HTML -> unsupported_format", () =>
    expectCode(Buffer.from("<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"), "unsupported_format"));

  it("HEIC (an iPhone's HEVC-coded HEIF) -> unsupported_format naming HEIC, not 'damaged'", async () => {
    const heic = readFileSync(new URL("../../../test/support/fixtures/red-96x64.heic", import.meta.url));
    await expectCode(heic, "unsupported_format");
    await expect(prepareImage(heic)).rejects.toThrow(/HEIC photos cannot be read.*JPEG, PNG, WebP or AVIF/);
  });

  it("decompression bomb (30000x30000 PNG, ~110 kB) -> too_many_pixels, quickly", async () => {
    const bomb = pngBomb(30_000);
    expect(bomb.length).toBeLessThan(2_000_000);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect([meta.width, meta.height]).toEqual([30_000, 30_000]);
    const t0 = performance.now();
    await expectCode(bomb, "too_many_pixels");
    expect(performance.now() - t0).toBeLessThan(2_000);
    // A caller-chosen lower limit also applies.
    await expectCode(await solid(300, 300, { r: 9, g: 9, b: 9 }).png().toBuffer(), "too_many_pixels", {
      maxPixels: 50_000,
    });
  });
});

describe("prepareImage: accepted inputs", () => {
  it("returns a normalised 3x224x224 tensor and a colour signature", async () => {
    const jpg = await (await splitRedBlue(300, 300)).jpeg().toBuffer();
    const p = await prepareImage(jpg);
    expect(p.tensor.length).toBe(3 * 224 * 224);
    expect(p.color.length).toBe(COLOR_DIM);
    expect(dot(p.color, p.color)).toBeCloseTo(1, 5);
    near(px(p.tensor, 40, 112), [255, 0, 0]);
    near(px(p.tensor, 180, 112), [0, 0, 255]);
  });

  it("letterboxes on white, preserving aspect ratio", async () => {
    const png = await (await splitRedBlue(400, 200)).png().toBuffer();
    const p = await prepareImage(png);
    near(px(p.tensor, 112, 10), [255, 255, 255], 5); // bar above
    near(px(p.tensor, 112, 214), [255, 255, 255], 5); // bar below
    near(px(p.tensor, 20, 112), [255, 0, 0]);
  });

  it("reads AVIF (the other HEIF flavour)", async () => {
    const avif = await solid(120, 80, { r: 30, g: 90, b: 200 }).avif({ quality: 70 }).toBuffer();
    const p = await prepareImage(avif);
    expect(p.tensor.length).toBe(3 * 224 * 224);
    const [r, g, b] = px(p.tensor, 112, 112);
    near([r, g, b], [30, 90, 200]);
  });

  it("honours EXIF orientation", async () => {
    // Stored landscape red|blue with orientation 6 (rotate 90° clockwise): displayed portrait, red on top.
    const jpg = await (await splitRedBlue(200, 100)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpg).metadata()).orientation).toBe(6);
    const p = await prepareImage(jpg);
    near(px(p.tensor, 112, 40), [255, 0, 0]);
    near(px(p.tensor, 112, 180), [0, 0, 255]);
    near(px(p.tensor, 10, 112), [255, 255, 255], 5); // white bar at the side: portrait
  });

  it("converts CMYK JPEG to sRGB", async () => {
    const cmyk = await solid(120, 120, { r: 220, g: 30, b: 30 }).toColourspace("cmyk").jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const p = await prepareImage(cmyk);
    near(px(p.tensor, 112, 112), [220, 30, 30], 45);
  });

  it("converts 16-bit PNG to 8-bit", async () => {
    const png16 = await solid(120, 90, { r: 30, g: 160, b: 40 }).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const p = await prepareImage(png16);
    near(px(p.tensor, 112, 112), [30, 160, 40], 6);
  });

  it("uses the first frame of an animated GIF", async () => {
    const f1 = await solid(60, 40, { r: 255, g: 0, b: 0 }).png().toBuffer();
    const f2 = await solid(60, 40, { r: 0, g: 0, b: 255 }).png().toBuffer();
    const gif = await sharp([f1, f2], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const p = await prepareImage(gif);
    near(px(p.tensor, 112, 112), [255, 0, 0]);
    near(px(p.tensor, 112, 5), [255, 255, 255], 5); // letterboxed to 224 (60x40 is landscape)
  });

  it("flattens transparency onto white", async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: await solid(40, 40, { r: 0, g: 200, b: 0 }).png().toBuffer(), left: 30, top: 30 }])
      .png()
      .toBuffer();
    const p = await prepareImage(png);
    near(px(p.tensor, 112, 112), [0, 200, 0]);
    near(px(p.tensor, 2, 2), [255, 255, 255], 5);
  });

  it("trims a uniform studio background so the product fills the frame, but never trims everything", async () => {
    const dot40 = await solid(40, 60, { r: 20, g: 20, b: 200 }).png().toBuffer();
    const studio = await solid(400, 400, { r: 240, g: 240, b: 240 }).composite([{ input: dot40, left: 300, top: 40 }]).jpeg().toBuffer();
    const p = await prepareImage(studio);
    // The 40x60 product now spans most of the 224 height.
    near(px(p.tensor, 112, 112), [20, 20, 200]);
    near(px(p.tensor, 112, 20), [20, 20, 200]);
    // A blank studio shot keeps its full frame (grey, not zoomed into nothing).
    const blank = await prepareImage(await solid(200, 200, { r: 240, g: 240, b: 240 }).jpeg().toBuffer());
    near(px(blank.tensor, 112, 112), [240, 240, 240], 5);
    near(px(blank.tensor, 1, 1), [240, 240, 240], 5);
  });
});

describe("prepareImage for CLIP (cover-centre: shortest side 224, centre crop, CLIP mean/std)", () => {
  const clip = getModelSpec(CLIP_IMAGE_MODEL_ID);
  const cpx = (t: Float32Array, x: number, y: number) => tensorPixel(t, x, y, CLIP_MEAN, CLIP_STD);

  /** Three stripes along the long side: blue 20 %, red 60 %, green 20 %. */
  async function stripes(w: number, h: number): Promise<Buffer> {
    const horizontal = w >= h;
    const long = horizontal ? w : h;
    const edge = Math.round(long * 0.2);
    const part = (c: { r: number; g: number; b: number }) =>
      solid(horizontal ? edge : w, horizontal ? h : edge, c).png().toBuffer();
    return solid(w, h, { r: 255, g: 0, b: 0 })
      .composite([
        { input: await part({ r: 0, g: 0, b: 255 }), left: 0, top: 0 },
        { input: await part({ r: 0, g: 255, b: 0 }), left: horizontal ? w - edge : 0, top: horizontal ? 0 : h - edge },
      ])
      .png()
      .toBuffer();
  }

  it("crops the centre of a wide photo instead of letterboxing it", async () => {
    const img = await stripes(1200, 600);
    const p = await prepareImage(img, { model: clip });
    expect(p.tensor.length).toBe(3 * 224 * 224);
    for (const [x, y] of [[2, 2], [221, 2], [112, 112], [2, 221], [221, 221]]) {
      const [r, g, b] = cpx(p.tensor, x, y);
      expect(r).toBeGreaterThan(240);
      expect(g + b).toBeLessThan(15);
    }
    // The same photo for MobileNetV2 is letterboxed on white and keeps the blue/green ends.
    const m = await prepareImage(img);
    expect(px(m.tensor, 112, 2)).toEqual([255, 255, 255]);
    expect(px(m.tensor, 2, 112)[2]).toBeGreaterThan(200);
  });

  it("crops the centre of a tall photo too", async () => {
    const p = await prepareImage(await stripes(300, 900), { model: clip });
    for (const [x, y] of [[2, 2], [221, 221], [112, 112]]) expect(cpx(p.tensor, x, y)[0]).toBeGreaterThan(240);
  });

  it("normalises with CLIP's mean and std", async () => {
    const p = await prepareImage(await solid(300, 300, { r: 255, g: 0, b: 0 }).png().toBuffer(), { model: clip });
    const plane = 224 * 224;
    expect(p.tensor[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 4);
    expect(p.tensor[plane]).toBeCloseTo((0 - 0.4578275) / 0.26130258, 4);
    expect(p.tensor[2 * plane]).toBeCloseTo((0 - 0.40821073) / 0.27577711, 4);
  });
});
