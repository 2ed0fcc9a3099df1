import { describe, expect, it } from "vitest";
import { COLOR_DIM, colorSignature } from "./color-signature.server";
import { foregroundBox } from "./image-background";
import { dot } from "../vector-codec";

type RGB = [number, number, number];

/** A crude "shirt": a body rectangle plus two sleeves, on a plain background, with slight noise. */
function shirt(fg: RGB, bg: RGB, w = 160, h = 200, seed = 1): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 12;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const body = x > w * 0.3 && x < w * 0.7 && y > h * 0.15 && y < h * 0.9;
      const sleeve = y > h * 0.15 && y < h * 0.35 && x > w * 0.12 && x < w * 0.88;
      const c = body || sleeve ? fg.map((v) => v * (0.8 + 0.2 * (y / h))) : bg;
      const i = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) px[i + k] = Math.max(0, Math.min(255, Math.round(c[k] + rnd())));
    }
  }
  return px;
}

const WHITE: RGB = [250, 250, 250];
const GREY: RGB = [150, 150, 150];
const RED: RGB = [200, 30, 35];
const BLUE: RGB = [30, 60, 190];

describe("colorSignature", () => {
  it("is a unit vector of COLOR_DIM", () => {
    const v = colorSignature(shirt(RED, WHITE), 160, 200);
    expect(v.length).toBe(COLOR_DIM);
    expect(dot(v, v)).toBeCloseTo(1, 5);
  });

  it("separates a red shirt from a blue shirt on the same background", () => {
    const red = colorSignature(shirt(RED, WHITE), 160, 200);
    const blue = colorSignature(shirt(BLUE, WHITE), 160, 200);
    expect(dot(red, blue)).toBeLessThan(0.2);
  });

  it("ignores the background: red on white ~ red on grey", () => {
    const a = colorSignature(shirt(RED, WHITE), 160, 200);
    const b = colorSignature(shirt(RED, GREY, 160, 200, 7), 160, 200);
    expect(dot(a, b)).toBeGreaterThan(0.95);
    // ...and a red shirt on grey is much closer to red-on-white than a blue one on grey.
    const c = colorSignature(shirt(BLUE, GREY), 160, 200);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.5);
  });

  it("handles a product the colour of the backdrop and a blank image without NaN", () => {
    const whiteOnWhite = colorSignature(shirt([245, 245, 245], WHITE), 160, 200);
    expect(whiteOnWhite.every(Number.isFinite)).toBe(true);
    expect(dot(whiteOnWhite, whiteOnWhite)).toBeCloseTo(1, 5);
    const blank = colorSignature(new Uint8Array(10 * 10 * 3), 10, 10);
    expect(dot(blank, blank)).toBeCloseTo(1, 5);
  });

  it("tells black from white garments (grey bins)", () => {
    const black = colorSignature(shirt([20, 20, 22], WHITE), 160, 200);
    const light = colorSignature(shirt([200, 200, 200], [90, 90, 90]), 160, 200);
    expect(dot(black, light)).toBeLessThan(0.3);
  });
});

describe("foregroundBox", () => {
  it("finds the product on a uniform backdrop, with a margin", () => {
    const box = foregroundBox(shirt(RED, WHITE), 160, 200)!;
    expect(box).not.toBeNull();
    expect(box.left).toBeGreaterThan(5);
    expect(box.left).toBeLessThan(0.12 * 160);
    expect(box.top).toBeLessThan(0.15 * 200);
    expect(box.top + box.height).toBeGreaterThan(0.9 * 200);
  });

  it("does not trim a blank image or a non-uniform one", () => {
    expect(foregroundBox(new Uint8Array(50 * 50 * 3).fill(255), 50, 50)).toBeNull();
    const noise = new Uint8Array(50 * 50 * 3).map((_, i) => (i * 7919) % 256);
    expect(foregroundBox(noise, 50, 50)).toBeNull();
  });
});
