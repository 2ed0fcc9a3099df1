/** Parses and validates the storefront API's query parameters (clear 400s, never a stack trace). */
import { productNumericId } from "../catalog/product-node";
import { FilterError, parseFilterParams, type ProductFilter } from "../search/filters";
import { ProxyError } from "./proxy-errors.server";
import { MAX_OTHER_COLOURS } from "../ranking/other-colours.server";

export const MAX_LIMIT = 50;
export const DEFAULT_LIMIT = 10;

/** The requested number of results; undefined when not given (the shop's resultsCount applies). */
export function parseLimit(params: URLSearchParams): number | undefined {
  const raw = params.get("limit");
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new ProxyError(400, "invalid_limit", `limit must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/**
 * `colours`: how many "Also in other colours" cards to answer beside similar products (0 or absent:
 * none, the row is off).
 */
export function parseColours(params: URLSearchParams): number {
  const raw = params.get("colours");
  if (raw === null || raw === "") return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_OTHER_COLOURS) throw new ProxyError(400, "invalid_colours", `colours must be an integer from 0 to ${MAX_OTHER_COLOURS}`);
  return n;
}

export function parseProductId(params: URLSearchParams): string {
  const raw = params.get("product_id");
  if (!raw) throw new ProxyError(400, "missing_product_id", "product_id is required (numeric id or gid://shopify/Product/<id>)");
  const id = productNumericId(raw);
  if (!id) throw new ProxyError(400, "invalid_product_id", "product_id must be a numeric id or gid://shopify/Product/<id>");
  return id;
}

export function parseFilter(params: URLSearchParams): ProductFilter {
  try {
    return parseFilterParams(params);
  } catch (err) {
    if (err instanceof FilterError) throw new ProxyError(400, "invalid_filter", err.message);
    throw err;
  }
}

/** The longest `q` a photo search takes (its words). */
export const MAX_PHOTO_WORDS = 200;
const BOX_PARAMS = ["box_x", "box_y", "box_w", "box_h"] as const;
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The shopper's box on the photo: box_x, box_y, box_w, box_h as fractions 0..1 of the
 * (EXIF-oriented) photo's width and height; all four or none. Undefined when none is given.
 */
export function parsePhotoBox(params: { get(name: string): string | null }): { x: number; y: number; w: number; h: number } | undefined {
  const raw = BOX_PARAMS.map((name) => params.get(name));
  const given = raw.filter((v) => v !== null && v.trim() !== "").length;
  if (given === 0) return undefined;
  if (given < 4) {
    const missing = BOX_PARAMS.filter((_, i) => raw[i] === null || raw[i]!.trim() === "");
    throw new ProxyError(400, "invalid_box", `box_x, box_y, box_w and box_h go together: ${missing.join(", ")} missing`);
  }
  const [x, y, w, h] = raw.map((v, i) => {
    const s = v!.trim();
    const n = Number(s);
    if (!NUMBER_RE.test(s) || !Number.isFinite(n)) throw new ProxyError(400, "invalid_box", `${BOX_PARAMS[i]} must be a number from 0 to 1 (got '${v!.slice(0, 40)}')`);
    return n;
  });
  if (x < 0 || x > 1) throw new ProxyError(400, "invalid_box", `box_x must be from 0 to 1 (got ${x})`);
  if (y < 0 || y > 1) throw new ProxyError(400, "invalid_box", `box_y must be from 0 to 1 (got ${y})`);
  if (w <= 0) throw new ProxyError(400, "invalid_box", `box_w must be greater than 0 (got ${w})`);
  if (h <= 0) throw new ProxyError(400, "invalid_box", `box_h must be greater than 0 (got ${h})`);
  // A tiny tolerance for fractions computed in floating point (0.1 + 0.9).
  if (x + w > 1 + 1e-9) throw new ProxyError(400, "invalid_box", `box_x + box_w must be at most 1 (got ${x + w})`);
  if (y + h > 1 + 1e-9) throw new ProxyError(400, "invalid_box", `box_y + box_h must be at most 1 (got ${y + h})`);
  return { x, y, w: Math.min(w, 1 - x), h: Math.min(h, 1 - y) };
}

/** The shopper's words for a photo search (`q`, optional, at most MAX_PHOTO_WORDS characters); undefined when empty. */
export function parsePhotoWords(params: { get(name: string): string | null }): string | undefined {
  const raw = params.get("q");
  if (raw === null) return undefined;
  const q = raw.trim();
  if (q.length > MAX_PHOTO_WORDS) throw new ProxyError(400, "invalid_query", `q may be at most ${MAX_PHOTO_WORDS} characters (got ${q.length})`);
  return q || undefined;
}
