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

/** Euclidean RGB distance below which a pixel counts as background. */
export const BACKGROUND_TOLERANCE = 28;
/** Border uniformity above which the background is treated as a studio backdrop. */
export const UNIFORM_BORDER = 0.85;

function median(values: number[]): number {
  if (values.length === 0) return 255;
  const s = values.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

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

/** Estimates the background from a border ring about 2% of the short side thick. */
export function estimateBorderBackground(rgb: ArrayLike<number>, width: number, height: number): BorderBackground {
  const ring = Math.max(1, Math.round(Math.min(width, height) * 0.02));
  const idx: number[] = [];
  const step = Math.max(1, Math.floor((2 * (width + height)) / 2000));
  for (let y = 0; y < height; y++) {
    const inBand = y < ring || y >= height - ring;
    if (inBand) {
      for (let x = 0; x < width; x += step) idx.push((y * width + x) * 3);
    } else if (y % step === 0) {
      for (let x = 0; x < ring; x++) idx.push((y * width + x) * 3, (y * width + (width - 1 - x)) * 3);
    }
  }
  const r = median(idx.map((i) => rgb[i]));
  const g = median(idx.map((i) => rgb[i + 1]));
  const b = median(idx.map((i) => rgb[i + 2]));
  const bg: [number, number, number] = [r, g, b];
  let close = 0;
  for (const i of idx) if (colorDistance(rgb, i, bg) <= BACKGROUND_TOLERANCE) close++;
  return { rgb: bg, uniformity: idx.length ? close / idx.length : 0 };
}

/**
 * Bounding box of the foreground on a uniform background, with a small margin.
 * Returns null when the background is not uniform, when nothing stands out
 * (a blank image), or when the box would be the whole image — i.e. when a trim
 * would be pointless or would throw the product away.
 */
export function foregroundBox(rgb: ArrayLike<number>, width: number, height: number): Box | null {
  const bg = estimateBorderBackground(rgb, width, height);
  if (bg.uniformity < UNIFORM_BORDER) return null;
  let minX = width, minY = height, maxX = -1, maxY = -1;
  // Count foreground pixels per row/column to ignore isolated specks (noise, dust).
  const rowCount = new Uint32Array(height);
  const colCount = new Uint32Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (colorDistance(rgb, (y * width + x) * 3, bg.rgb) > BACKGROUND_TOLERANCE) {
        rowCount[y]++;
        colCount[x]++;
      }
    }
  }
  const minRow = Math.max(1, Math.floor(width * 0.005));
  const minCol = Math.max(1, Math.floor(height * 0.005));
  for (let y = 0; y < height; y++) if (rowCount[y] >= minRow) { minY = Math.min(minY, y); maxY = y; }
  for (let x = 0; x < width; x++) if (colCount[x] >= minCol) { minX = Math.min(minX, x); maxX = x; }
  if (maxX < 0 || maxY < 0) return null;
  const bw = maxX - minX + 1;
  const bh = maxY - minY + 1;
  // Too small to be a product (a speck, a watermark): do not zoom onto it.
  if (bw * bh < width * height * 0.01 || bw < 8 || bh < 8) return null;
  const margin = Math.round(Math.max(bw, bh) * 0.03);
  const left = Math.max(0, minX - margin);
  const top = Math.max(0, minY - margin);
  const right = Math.min(width, maxX + 1 + margin);
  const bottom = Math.min(height, maxY + 1 + margin);
  if (left === 0 && top === 0 && right === width && bottom === height) return null;
  return { left, top, width: right - left, height: bottom - top };
}
