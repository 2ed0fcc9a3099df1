/**
 * Deterministic, in-memory perturbations of a query photo (sharp), standing in for what shoppers
 * actually upload: cropped, rotated, darkened, recompressed, or on a cluttered background.
 * Same input + same seed → identical output bytes. Used by scripts/evaluate.ts --perturb.
 */
import sharp from "sharp";
import { seededRandom } from "../../app/shared/seeded-random";
import { BACKGROUND_TOLERANCE, colorDistance, estimateBorderBackground } from "../../app/embedding/image/image-background";
import { fnv1a } from "../../app/embedding/text/text-vector";

export const PERTURBATIONS = ["crop", "rotate", "darken", "jpeg", "clutter"] as const;
export type Perturbation = (typeof PERTURBATIONS)[number];

export { seededRandom };

export function perturbationSeed(key: string, kind: Perturbation): number {
  return fnv1a(`${kind}:${key}`);
}

const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();

/** Returns JPEG bytes of `input` with the given perturbation; `seed` fixes every random choice. */
export async function perturbPhoto(input: Buffer, kind: Perturbation, seed: number): Promise<Buffer> {
  const rnd = seededRandom(seed);
  const base = sharp(input).rotate().flatten({ background: "#ffffff" }).removeAlpha();
  // Displayed size (after EXIF orientation).
  const { info } = await base.clone().raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  switch (kind) {
    case "crop": {
      // Keep 60–80% of each side at a random offset: part of the product may fall outside.
      const cw = Math.max(8, Math.round(w * between(rnd, 0.6, 0.8)));
      const ch = Math.max(8, Math.round(h * between(rnd, 0.6, 0.8)));
      const left = Math.floor(rnd() * (w - cw + 1));
      const top = Math.floor(rnd() * (h - ch + 1));
      return base.extract({ left, top, width: cw, height: ch }).jpeg({ quality: 90 }).toBuffer();
    }
    case "rotate": {
      const angle = between(rnd, 10, 25) * (rnd() < 0.5 ? -1 : 1);
      return base.rotate(angle, { background: "#ffffff" }).jpeg({ quality: 90 }).toBuffer();
    }
    case "darken": {
      const brightness = between(rnd, 0.4, 0.6);
      return base.modulate({ brightness }).gamma(between(rnd, 1.0, 1.4)).jpeg({ quality: 90 }).toBuffer();
    }
    case "jpeg": {
      // Downscale then heavy recompression (a messaging app's re-encode of a re-encode).
      const scale = between(rnd, 0.35, 0.5);
      const once = await base.resize(Math.round(w * scale)).jpeg({ quality: Math.round(between(rnd, 25, 40)) }).toBuffer();
      return sharp(once).jpeg({ quality: Math.round(between(rnd, 12, 20)) }).toBuffer();
    }
    case "clutter":
      return onClutter(base, w, h, rnd);
  }
}

/** The product cut out of its studio backdrop, scaled to 55–75%, placed on a random busy scene. */
async function onClutter(base: sharp.Sharp, w: number, h: number, rnd: () => number): Promise<Buffer> {
  const { data: rgb } = await base.clone().raw().toBuffer({ resolveWithObject: true });
  const bg = estimateBorderBackground(rgb, w, h);
  const rgba = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    const d = colorDistance(rgb, p * 3, bg.rgb);
    const a = Math.max(0, Math.min(1, (d - BACKGROUND_TOLERANCE / 2) / BACKGROUND_TOLERANCE));
    rgba[p * 4] = rgb[p * 3];
    rgba[p * 4 + 1] = rgb[p * 3 + 1];
    rgba[p * 4 + 2] = rgb[p * 3 + 2];
    rgba[p * 4 + 3] = Math.round(a * 255);
  }
  const scale = between(rnd, 0.55, 0.75);
  const pw = Math.max(8, Math.round(w * scale));
  const ph = Math.max(8, Math.round(h * scale));
  const product = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).resize(pw, ph, { fit: "fill" }).png().toBuffer();

  // Busy scene: a random base colour, 14–24 random rectangles, per-pixel noise, slightly blurred.
  const scene = Buffer.alloc(w * h * 3);
  const baseColor = [0, 1, 2].map(() => Math.floor(between(rnd, 40, 220)));
  for (let p = 0; p < w * h; p++) scene.set(baseColor, p * 3);
  const rects = 14 + Math.floor(rnd() * 11);
  for (let r = 0; r < rects; r++) {
    const rw = Math.floor(between(rnd, 0.1, 0.5) * w);
    const rh = Math.floor(between(rnd, 0.1, 0.5) * h);
    const rx = Math.floor(rnd() * (w - rw));
    const ry = Math.floor(rnd() * (h - rh));
    const c = [0, 1, 2].map(() => Math.floor(rnd() * 256));
    for (let y = ry; y < ry + rh; y++) for (let x = rx; x < rx + rw; x++) scene.set(c, (y * w + x) * 3);
  }
  for (let i = 0; i < scene.length; i++) scene[i] = Math.max(0, Math.min(255, scene[i] + Math.round((rnd() - 0.5) * 40)));
  const left = Math.floor(rnd() * (w - pw + 1));
  const top = Math.floor(rnd() * (h - ph + 1));
  return sharp(scene, { raw: { width: w, height: h, channels: 3 } })
    .blur(1.2)
    .composite([{ input: product, left, top }])
    .jpeg({ quality: 88 })
    .toBuffer();
}
