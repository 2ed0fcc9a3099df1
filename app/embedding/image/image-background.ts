/**
 * Pure helpers to find a uniform "studio" background from an image's border and
 * the bounding box of the pixels that differ from it. Input: packed RGB bytes.
 */
export interface BorderBackground {
  /** Median border colour. */
  rgb: [number, number, number];
  /** Fraction of border pixels within `tolerance` of the median colour (0..1). */
  uniformity: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Inclusive pixel extent of the foreground (before any margin). */
export interface Extent {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Euclidean RGB distance below which a pixel counts as background. */
export const BACKGROUND_TOLERANCE = 28;
/** Border uniformity above which the background is treated as a studio backdrop. */
export const UNIFORM_BORDER = 0.85;
/** A foreground narrower or shorter than this (pixels) is a speck, not a product. */
export const MIN_BOX_SIDE = 8;

const TOLERANCE_SQ = BACKGROUND_TOLERANCE * BACKGROUND_TOLERANCE;

export function colorDistance(
  rgb: ArrayLike<number>,
  i: number,
  bg: readonly [number, number, number],
): number {
  const dr = rgb[i] - bg[0];
  const dg = rgb[i + 1] - bg[1];
  const db = rgb[i + 2] - bg[2];
  return Math.sqrt(dr * dr + dg * dg + db * db);
}

/**
 * The element of rank `count >> 1` of the values counted in `hist` (what sorting the values and
 * taking s[s.length >> 1] gives), without sorting.
 */
function histogramMedian(hist: Uint32Array, count: number): number {
  if (count === 0) return 255;
  const rank = count >> 1;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v];
    if (seen > rank) return v;
  }
  return 255;
}

/** Byte offsets of the sampled border pixels: a ring ~2% of the short side thick. */
function borderOffsets(width: number, height: number): Int32Array {
  const ring = Math.max(1, Math.round(Math.min(width, height) * 0.02));
  const step = Math.max(1, Math.floor((2 * (width + height)) / 2000));
  const bandRows = Math.min(height, 2 * ring);
  const out = new Int32Array(bandRows * Math.ceil(width / step) + 2 * ring * Math.ceil(height / step));
  let n = 0;
  for (let y = 0; y < height; y++) {
    const inBand = y < ring || y >= height - ring;
    if (inBand) {
      for (let x = 0; x < width; x += step) out[n++] = (y * width + x) * 3;
    } else if (y % step === 0) {
      for (let x = 0; x < ring; x++) {
        out[n++] = (y * width + x) * 3;
        out[n++] = (y * width + (width - 1 - x)) * 3;
      }
    }
  }
  return out.subarray(0, n);
}

/** Estimates the background from a border ring about 2% of the short side thick. */
export function estimateBorderBackground(rgb: ArrayLike<number>, width: number, height: number): BorderBackground {
  const idx = borderOffsets(width, height);
  const hr = new Uint32Array(256);
  const hg = new Uint32Array(256);
  const hb = new Uint32Array(256);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    hr[rgb[i]]++;
    hg[rgb[i + 1]]++;
    hb[rgb[i + 2]]++;
  }
  const count = idx.length;
  const br = histogramMedian(hr, count);
  const bgc = histogramMedian(hg, count);
  const bb = histogramMedian(hb, count);
  let close = 0;
  for (let k = 0; k < count; k++) {
    const i = idx[k];
    const dr = rgb[i] - br;
    const dg = rgb[i + 1] - bgc;
    const db = rgb[i + 2] - bb;
    if (dr * dr + dg * dg + db * db <= TOLERANCE_SQ) close++;
  }
  return { rgb: [br, bgc, bb], uniformity: count ? close / count : 0 };
}

/**
 * Inclusive extent of the pixels that stand out from the background `bg`, ignoring isolated
 * specks (a row/column needs ~0.5% foreground pixels to count). Null when nothing stands out or
 * when it is too small to be a product (under 1% of the area, or a side under `minSide` pixels).
 */
export function foregroundExtent(
  rgb: ArrayLike<number>,
  width: number,
  height: number,
  bg: readonly [number, number, number],
  minSide: number = MIN_BOX_SIDE,
): Extent | null {
  const rowCount = new Uint32Array(height);
  const colCount = new Uint32Array(width);
  const [br, bgc, bb] = bg;
  for (let y = 0, i = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++, i += 3) {
      const dr = rgb[i] - br;
      const dg = rgb[i + 1] - bgc;
      const db = rgb[i + 2] - bb;
      if (dr * dr + dg * dg + db * db > TOLERANCE_SQ) {
        row++;
        colCount[x]++;
      }
    }
    rowCount[y] = row;
  }
  let minX = width, minY = height, maxX = -1, maxY = -1;
  const minRow = Math.max(1, Math.floor(width * 0.005));
  const minCol = Math.max(1, Math.floor(height * 0.005));
  for (let y = 0; y < height; y++) if (rowCount[y] >= minRow) { minY = Math.min(minY, y); maxY = y; }
  for (let x = 0; x < width; x++) if (colCount[x] >= minCol) { minX = Math.min(minX, x); maxX = x; }
  if (maxX < 0 || maxY < 0) return null;
  const bw = maxX - minX + 1;
  const bh = maxY - minY + 1;
  // Too small to be a product (a speck, a watermark): do not zoom onto it.
  if (bw * bh < width * height * 0.01 || bw < minSide || bh < minSide) return null;
  return { minX, minY, maxX, maxY };
}

/**
 * The crop box of an extent: a margin of 3% of its longer side, clamped to the image. Null when
 * the box would be the whole image (a trim would be pointless).
 */
export function boxWithMargin(e: Extent, width: number, height: number): Box | null {
  const margin = Math.round(Math.max(e.maxX - e.minX + 1, e.maxY - e.minY + 1) * 0.03);
  const left = Math.max(0, e.minX - margin);
  const top = Math.max(0, e.minY - margin);
  const right = Math.min(width, e.maxX + 1 + margin);
  const bottom = Math.min(height, e.maxY + 1 + margin);
  if (left === 0 && top === 0 && right === width && bottom === height) return null;
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * Bounding box of the foreground on a uniform background, with a small margin.
 * Returns null when the background is not uniform, when nothing stands out
 * (a blank image), or when the box would be the whole image — i.e. when a trim
 * would be pointless or would throw the product away.
 */
export function foregroundBox(
  rgb: ArrayLike<number>,
  width: number,
  height: number,
  background: BorderBackground = estimateBorderBackground(rgb, width, height),
): Box | null {
  if (background.uniformity < UNIFORM_BORDER) return null;
  const extent = foregroundExtent(rgb, width, height, background.rgb);
  return extent && boxWithMargin(extent, width, height);
}
