import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { prepareImage } from "../../app/embedding/image/image-preprocess.server";
import { PERTURBATIONS, perturbationSeed, perturbPhoto, seededRandom } from "./photo-perturbations";

/** A red square product on a white studio backdrop. */
async function studioPhoto(): Promise<Buffer> {
  const square = await sharp({ create: { width: 120, height: 160, channels: 3, background: "#c02020" } }).png().toBuffer();
  return sharp({ create: { width: 240, height: 300, channels: 3, background: "#ffffff" } }).composite([{ input: square, left: 60, top: 70 }]).jpeg().toBuffer();
}

describe("photo perturbations", () => {
  it("seeded random numbers repeat for a seed and differ across seeds", () => {
    const a = seededRandom(42), b = seededRandom(42), c = seededRandom(43);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it.each(PERTURBATIONS)("%s: deterministic, a decodable JPEG that differs from the input", async (kind) => {
    const input = await studioPhoto();
    const seed = perturbationSeed("123", kind);
    const [x, y] = await Promise.all([perturbPhoto(input, kind, seed), perturbPhoto(input, kind, seed)]);
    expect(x.equals(y)).toBe(true);
    expect(x.equals(input)).toBe(false);
    const meta = await sharp(x).metadata();
    expect(meta.format).toBe("jpeg");
    await expect(prepareImage(x)).resolves.toHaveProperty("tensor");
  });

  it("darken lowers brightness; crop shrinks; clutter replaces the plain backdrop", async () => {
    const input = await studioPhoto();
    const mean = async (b: Buffer) => (await sharp(b).stats()).channels.slice(0, 3).reduce((s, c) => s + c.mean, 0) / 3;
    expect(await mean(await perturbPhoto(input, "darken", 1))).toBeLessThan((await mean(input)) * 0.8);
    const crop = await sharp(await perturbPhoto(input, "crop", 1)).metadata();
    expect(crop.width! * crop.height!).toBeLessThan(240 * 300 * 0.7);
    const { data, info } = await sharp(await perturbPhoto(input, "clutter", 1)).raw().toBuffer({ resolveWithObject: true });
    let white = 0;
    for (let p = 0; p < info.width * info.height; p++) if (data[p * 3] > 240 && data[p * 3 + 1] > 240 && data[p * 3 + 2] > 240) white++;
    expect(white / (info.width * info.height)).toBeLessThan(0.2);
  });
});
