/**
 * Regions of a shopper's photo: the box the shopper points at (or the server guesses), as
 * fractions 0..1 of the EXIF-oriented photo's width and height, and its pixels. Pure.
 */
import type { Box } from "./image-background";

/** A region as fractions of the (oriented) photo: left x, top y, width w, height h. */
export interface FractionBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const WHOLE_PHOTO: FractionBox = { x: 0, y: 0, w: 1, h: 1 };

/** Packed 8-bit RGB pixels of a photo (or of a region of it). */
export interface RgbPhoto {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * Candidate views of a photo whose border is busy (no confident foreground): the four corners
 * and the centre at 0.7 of each side (docs/decisions/0012-photo-auto-box-by-catalog-match.md).
 */
export function cornerAndCentreCrops(side = 0.7): FractionBox[] {
  const far = 1 - side;
  const mid = far / 2;
  return [
    { x: 0, y: 0, w: side, h: side },
    { x: far, y: 0, w: side, h: side },
    { x: 0, y: far, w: side, h: side },
    { x: far, y: far, w: side, h: side },
    { x: mid, y: mid, w: side, h: side },
  ];
}

/** The pixel box of a fraction box (at least 1 pixel each way, inside the photo). */
export function toPixelBox(box: FractionBox, width: number, height: number): Box {
  const left = Math.min(width - 1, Math.max(0, Math.floor(box.x * width)));
  const top = Math.min(height - 1, Math.max(0, Math.floor(box.y * height)));
  const right = Math.max(left + 1, Math.min(width, Math.ceil((box.x + box.w) * width)));
  const bottom = Math.max(top + 1, Math.min(height, Math.ceil((box.y + box.h) * height)));
  return { left, top, width: right - left, height: bottom - top };
}

/** A pixel box of a photo as fractions of it (rounded to 4 decimals, as the API returns it). */
export function toFractionBox(box: Box, width: number, height: number): FractionBox {
  const r = (v: number) => Math.round(v * 10_000) / 10_000;
  return { x: r(box.left / width), y: r(box.top / height), w: r(box.width / width), h: r(box.height / height) };
}

/** `inner` (fractions of `outer`'s region) as fractions of the whole photo. */
export function withinBox(outer: FractionBox, inner: FractionBox): FractionBox {
  const r = (v: number) => Math.round(v * 10_000) / 10_000;
  return { x: r(outer.x + inner.x * outer.w), y: r(outer.y + inner.y * outer.h), w: r(inner.w * outer.w), h: r(inner.h * outer.h) };
}

/** True when the box is the whole photo. */
export function isWholePhoto(box: FractionBox): boolean {
  return box.x <= 0 && box.y <= 0 && box.x + box.w >= 1 && box.y + box.h >= 1;
}

/** The pixels of `box` (a copy, packed RGB). */
export function cropRgb(photo: RgbPhoto, box: Box): RgbPhoto {
  const { rgb, width } = photo;
  const out = new Uint8Array(box.width * box.height * 3);
  const rowBytes = box.width * 3;
  for (let y = 0; y < box.height; y++) {
    const from = ((box.top + y) * width + box.left) * 3;
    out.set(rgb.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { rgb: out, width: box.width, height: box.height };
}
