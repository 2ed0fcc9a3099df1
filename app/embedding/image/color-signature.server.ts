/**
 * Colour signature of the product in a photo: a soft HSV histogram of the
 * foreground (pixels away from the uniform border background), Hellinger-mapped
 * (sqrt) and L2-normalised, so `dot(a, b)` is the Bhattacharyya coefficient.
 *
 * Bins: 12 hues x 2 saturations x 2 values for chromatic pixels, plus 4 grey
 * levels for achromatic ones; every pixel is spread (bilinearly) over
 * neighbouring bins, and blended between chromatic and grey by saturation/value.
 */
import {
  BACKGROUND_TOLERANCE,
  UNIFORM_BORDER,
  estimateBorderBackground,
  type BorderBackground,
} from "./image-background";

const HUE_BINS = 12;
const SAT_BINS = 2;
const VAL_BINS = 2;
const GREY_BINS = 4;
const CHROMA_DIM = HUE_BINS * SAT_BINS * VAL_BINS;
export const COLOR_DIM = CHROMA_DIM + GREY_BINS; // 52

/** Pixels sampled per image: a uniform stride keeps between about this many and 4x as many. */
export const MAX_SAMPLES = 16_000;

/** c clamped to [0, max]. */
function clampTo(c: number, max: number): number {
  return Math.min(Math.max(c, 0), max);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** The sampling stride colorSignature uses for an image of n pixels. */
export function samplingStride(n: number): number {
  return Math.max(1, Math.floor(Math.sqrt(n / MAX_SAMPLES)));
}

/**
 * @param rgb packed 8-bit RGB (3 bytes per pixel), row-major
 * @param background the image's border background, when the caller has already estimated it
 */
export function colorSignature(
  rgb: Uint8Array,
  width: number,
  height: number,
  background?: BorderBackground,
): Float32Array {
  if (rgb.length < width * height * 3) throw new RangeError("colorSignature: buffer smaller than width*height*3");
  const hist = new Float64Array(COLOR_DIM);
  const n = width * height;
  if (n === 0) return new Float32Array(COLOR_DIM);
  const bg = background ?? estimateBorderBackground(rgb, width, height);
  const uniform = bg.uniformity >= UNIFORM_BORDER;
  const stride = samplingStride(n);

  const accumulate = (useMask: boolean): number =>
    useMask ? accumulateMasked(hist, rgb, width, height, stride, bg.rgb) : accumulateCentred(hist, rgb, width, height, stride);

  let total = accumulate(uniform);
  // Product indistinguishable from the backdrop (e.g. white on white): use everything.
  if (uniform && total < (n / (stride * stride)) * 0.005) {
    hist.fill(0);
    total = accumulate(false);
  }
  const out = new Float32Array(COLOR_DIM);
  if (total <= 0) return out;
  let ss = 0;
  for (let k = 0; k < COLOR_DIM; k++) {
    const v = Math.sqrt(hist[k] / total);
    out[k] = v;
    ss += v * v;
  }
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let k = 0; k < COLOR_DIM; k++) out[k] *= inv;
  return out;
}

/** Soft foreground mask: 0 at the background colour (and within BACKGROUND_TOLERANCE), 1 well away from it. */
function accumulateMasked(
  hist: Float64Array,
  rgb: Uint8Array,
  width: number,
  height: number,
  stride: number,
  bg: readonly [number, number, number],
): number {
  const [br, bgc, bb] = bg;
  const tolSq = BACKGROUND_TOLERANCE * BACKGROUND_TOLERANCE;
  let total = 0;
  for (let y = 0; y < height; y += stride) {
    for (let x = 0, i = y * width * 3; x < width; x += stride, i += 3 * stride) {
      const r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
      const dr = r - br;
      const dg = g - bgc;
      const db = b - bb;
      const dsq = dr * dr + dg * dg + db * db;
      // sqrt is monotone and exact on perfect squares: dsq <= tolerance^2 <=> d <= tolerance <=> w <= 0.
      if (dsq <= tolSq) continue;
      const w = clamp01((Math.sqrt(dsq) - BACKGROUND_TOLERANCE) / BACKGROUND_TOLERANCE);
      if (w <= 0) continue;
      addPixel(hist, r / 255, g / 255, b / 255, w);
      total += w;
    }
  }
  return total;
}

/** No studio backdrop: favour the centre where the product usually is. */
function accumulateCentred(hist: Float64Array, rgb: Uint8Array, width: number, height: number, stride: number): number {
  let total = 0;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y += stride) {
    const dy = (y - cy) / (height / 2);
    for (let x = 0; x < width; x += stride) {
      const i = (y * width + x) * 3;
      const dx = (x - cx) / (width / 2);
      const w = Math.exp(-(dx * dx + dy * dy) * 1.5);
      if (w <= 0) continue;
      addPixel(hist, rgb[i] / 255, rgb[i + 1] / 255, rgb[i + 2] / 255, w);
      total += w;
    }
  }
  return total;
}

function addPixel(hist: Float64Array, r: number, g: number, b: number, w: number): void {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const v = max;
  const delta = max - min;
  const s = max > 0 ? delta / max : 0;
  // How chromatic the pixel is: grey below s=0.1 or v=0.1, fully chromatic above 0.3.
  const chroma = clamp01((s - 0.1) / 0.2) * clamp01((v - 0.1) / 0.2);

  if (chroma < 1) {
    // Linear split over the grey bins (clamped, not circular); inlined: no allocation per pixel.
    const gx = clampTo(v * GREY_BINS - 0.5, GREY_BINS - 1);
    const g0 = Math.floor(gx);
    const g1 = Math.min(g0 + 1, GREY_BINS - 1);
    const f = gx - g0;
    const wg = w * (1 - chroma);
    hist[CHROMA_DIM + g0] += wg * (1 - f);
    hist[CHROMA_DIM + g1] += wg * f;
  }
  if (chroma > 0) {
    let h = 0;
    if (delta > 0) {
      if (max === r) {
        // ((g - b) / delta + 6) % 6 without a floating-point modulo (a library call): the sum is
        // in [5, 7], and subtracting 6 from a value in [6, 7] is exact (Sterbenz).
        h = (g - b) / delta + 6;
        if (h >= 6) h -= 6;
      }
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      h /= 6; // 0..1
    }
    const hc = h * HUE_BINS - 0.5;
    const h0f = Math.floor(hc);
    const hf = hc - h0f;
    // h0f is an integer in [-1, HUE_BINS - 1] (h in [0, 1)): wrap it without a modulo.
    const h0 = h0f < 0 ? h0f + HUE_BINS : h0f;
    const h1 = h0 + 1 === HUE_BINS ? 0 : h0 + 1;
    const sx = clampTo(((s - 0.1) / 0.9) * SAT_BINS - 0.5, SAT_BINS - 1);
    const s0 = Math.floor(sx);
    const s1 = Math.min(s0 + 1, SAT_BINS - 1);
    const sf = sx - s0;
    const vx = clampTo(((v - 0.1) / 0.9) * VAL_BINS - 0.5, VAL_BINS - 1);
    const v0 = Math.floor(vx);
    const v1 = Math.min(v0 + 1, VAL_BINS - 1);
    const vf = vx - v0;
    const wc = w * chroma;
    // Trilinear spread over (hue, sat, val) neighbours, without allocations (hot loop).
    for (let a = 0; a < 2; a++) {
      const hw = a === 0 ? 1 - hf : hf;
      if (hw === 0) continue;
      const hi = a === 0 ? h0 : h1;
      for (let b2 = 0; b2 < 2; b2++) {
        const sw = b2 === 0 ? 1 - sf : sf;
        if (sw === 0) continue;
        const si = b2 === 0 ? s0 : s1;
        const base = (hi * SAT_BINS + si) * VAL_BINS;
        const k = wc * hw * sw;
        if (vf !== 1) hist[base + v0] += k * (1 - vf);
        if (vf !== 0) hist[base + v1] += k * vf;
      }
    }
  }
}
