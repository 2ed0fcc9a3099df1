/**
 * Turns an Admin GraphQL `Product` node (bulk JSONL, webhook-fetched or catalog file) into the
 * record we store. Pure: no I/O. Image URLs are returned as given; the caller resolves them.
 */
import { createHash } from "node:crypto";
import { decodeHTML } from "entities";
import { parseVariants, variantImageUrl, VariantDataError, type ProductVariant } from "./product-variants";

export class ProductNodeError extends Error {}

export interface ProductRecord {
  id: string; // numeric id as a string
  handle: string;
  title: string;
  descriptionText: string;
  productType: string;
  vendor: string;
  tags: string[];
  status: string;
  price: number;
  priceText: string;
  currency: string;
  available: boolean;
  onlineStoreUrl: string | null;
  imageUrls: string[];
  /** The variants with their price, availability and own photo (an index into imageUrls, or -1). */
  variants: ProductVariant[];
  updatedAt: Date;
  textHash: string;
  imageHash: string;
}

const MAX_IMAGES = 4;
const MAX_TAGS = 250;
const MAX_TEXT = 20_000;

/** "gid://shopify/Product/123" or "123" → "123"; anything else → null. */
export function productNumericId(value: unknown): string | null {
  const s = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  const m = /^(?:gid:\/\/shopify\/Product\/)?(\d{1,20})$/.exec(s);
  return m ? m[1] : null;
}

/**
 * Math.min of a list of any length (Infinity when empty): `Math.min(...xs)` passes every element
 * as an argument and throws RangeError past the engine's argument limit (~120k on V8).
 */
export function minOf(xs: readonly number[]): number {
  let min = Infinity;
  for (const x of xs) if (x < min || Number.isNaN(x)) min = x;
  return min;
}

export function htmlToText(html: string): string {
  const withoutTags = html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]+>/g, " ");
  return decodeHTML(withoutTags).replace(/\s+/g, " ").trim().slice(0, MAX_TEXT);
}

function str(v: unknown, max = 1_000): string {
  return typeof v === "string" ? v.slice(0, max) : "";
}

function money(v: unknown): { amount: number; text: string; currency: string } | null {
  const o = v as { amount?: unknown; currencyCode?: unknown } | null;
  const amount = Number(o?.amount);
  if (!o || !Number.isFinite(amount) || amount < 0 || amount > 1e12) return null;
  return { amount, text: amount.toFixed(2), currency: typeof o.currencyCode === "string" ? o.currencyCode : "USD" };
}

type Node = Record<string, unknown>;
const nodes = (v: unknown): Node[] => {
  const o = v as { nodes?: unknown; edges?: { node: unknown }[] } | unknown[] | null | undefined;
  if (Array.isArray(o)) return o as Node[];
  if (o && Array.isArray((o as { nodes?: unknown }).nodes)) return (o as { nodes: Node[] }).nodes;
  if (o && Array.isArray((o as { edges?: unknown }).edges)) return (o as { edges: { node: Node }[] }).edges.map((e) => e.node);
  return [];
};

/**
 * The photos we store (at most MAX_IMAGES): the featured one, then the media in their order — but
 * when there are more than MAX_IMAGES, variants' own photos are kept before the others, so that a
 * photo search can match each colour. The kept photos stay in the media order (a product whose
 * photos all fit keeps the list, and the image hash, it had before variants were read).
 */
function imageUrlsOf(node: Node, variantUrls: ReadonlySet<string>): string[] {
  const urls: string[] = [];
  for (const m of nodes(node.media)) {
    const url = (m.image as Node | undefined)?.url ?? (m.preview as { image?: Node } | undefined)?.image?.url;
    if (typeof url === "string" && url) urls.push(url);
  }
  for (const i of nodes(node.images)) if (typeof i.url === "string") urls.push(i.url);
  const featured = (node.featuredImage as Node | undefined)?.url ?? (node.featuredMedia as { preview?: { image?: Node } } | undefined)?.preview?.image?.url;
  if (typeof featured === "string" && featured) urls.unshift(featured);
  const all = [...new Set(urls)];
  if (all.length <= MAX_IMAGES) return all;
  const keep = new Set<string>([all[0]]);
  for (const url of all) if (keep.size < MAX_IMAGES && variantUrls.has(url)) keep.add(url);
  for (const url of all) if (keep.size < MAX_IMAGES) keep.add(url);
  return all.filter((url) => keep.has(url));
}

export function sha1(parts: unknown): string {
  return createHash("sha1").update(JSON.stringify(parts)).digest("hex");
}

export function parseProductNode(input: unknown): ProductRecord {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw new ProductNodeError("product node is not an object");
  const node = input as Node;
  const id = productNumericId(node.id) ?? productNumericId(node.legacyResourceId);
  if (!id) throw new ProductNodeError(`product node has no valid id (${JSON.stringify(node.id)?.slice(0, 60)})`);
  // Titles arrive with HTML entities at times ("CoolTech&trade;"): show the characters.
  const title = decodeHTML(str(node.title, 1_000)).trim();
  if (!title) throw new ProductNodeError(`product ${id} has no title`);
  const updatedAt = new Date(str(node.updatedAt) || 0);
  if (Number.isNaN(updatedAt.getTime())) throw new ProductNodeError(`product ${id} has an invalid updatedAt`);

  const variants = nodes(node.variants);
  if (variants.some((v) => !v || typeof v !== "object" || Array.isArray(v))) throw new ProductNodeError(`product ${id}: a variant is not an object`);
  const variantPrices = variants.map((v) => Number(v.price)).filter((p) => Number.isFinite(p) && p >= 0);
  const range = money((node.priceRangeV2 as Node | undefined)?.minVariantPrice ?? (node.priceRange as Node | undefined)?.minVariantPrice);
  const amount = range?.amount ?? (variantPrices.length ? minOf(variantPrices) : 0);
  const anyVariantFlag = variants.some((v) => typeof v.availableForSale === "boolean");
  const available = anyVariantFlag
    ? variants.some((v) => v.availableForSale === true)
    : typeof node.totalInventory === "number" ? node.totalInventory > 0 : true;

  const tags = (Array.isArray(node.tags) ? node.tags : typeof node.tags === "string" ? node.tags.split(",") : [])
    .filter((t): t is string => typeof t === "string")
    .map((t) => t.trim().slice(0, 255))
    .filter(Boolean)
    .slice(0, MAX_TAGS);
  const descriptionText = htmlToText(str(node.descriptionHtml, MAX_TEXT * 2) || str(node.description, MAX_TEXT));
  const productType = str(node.productType, 255).trim();
  const vendor = str(node.vendor, 255).trim();
  const variantUrls = new Set<string>();
  for (const v of variants) {
    const url = v && typeof v === "object" ? variantImageUrl(v) : null;
    if (url) variantUrls.add(url);
  }
  const imageUrls = imageUrlsOf(node, variantUrls);
  let productVariants: ProductVariant[];
  try {
    productVariants = parseVariants(variants, imageUrls, id);
  } catch (err) {
    if (err instanceof VariantDataError) throw new ProductNodeError(err.message);
    throw err;
  }

  return {
    id,
    handle: str(node.handle, 255) || id,
    title,
    descriptionText,
    productType,
    vendor,
    tags,
    status: str(node.status, 32).toUpperCase() || "ACTIVE",
    price: amount,
    priceText: amount.toFixed(2),
    currency: range?.currency ?? "USD",
    available,
    onlineStoreUrl: str(node.onlineStoreUrl, 2_000) || null,
    imageUrls,
    variants: productVariants,
    updatedAt,
    textHash: sha1([title, productType, vendor, tags, descriptionText]),
    imageHash: sha1(imageUrls),
  };
}

/**
 * A REST variant's own photo: the product image its `image_id` names, else the one whose
 * `variant_ids` list it. Ids of another product's images or variants match nothing here: ignored.
 */
function restVariantImage(v: Record<string, unknown>, images: Record<string, unknown>[]): { url: string } | null {
  const byId = v.image_id != null ? images.find((i) => i.id != null && String(i.id) === String(v.image_id)) : undefined;
  const listed = byId ?? images.find((i) => Array.isArray(i.variant_ids) && i.variant_ids.some((id) => id != null && String(id) === String(v.id)));
  return typeof listed?.src === "string" && listed.src ? { url: listed.src } : null;
}

/**
 * Webhook payloads (products/create, products/update) use the REST product shape. Map it to the
 * GraphQL node shape so one parser enforces one set of rules.
 */
export function restProductToNode(payload: unknown, currency = "USD"): Record<string, unknown> {
  const p = (payload ?? {}) as Record<string, unknown>;
  const variants = (Array.isArray(p.variants) ? p.variants : []) as Record<string, unknown>[];
  const images = (Array.isArray(p.images) ? p.images : []) as Record<string, unknown>[];
  const featured = (p.image as Record<string, unknown> | null | undefined)?.src;
  const variantAvailable = (v: Record<string, unknown>) =>
    v.inventory_management == null || v.inventory_policy === "continue" || Number(v.inventory_quantity ?? 0) > 0;
  return {
    id: p.admin_graphql_api_id ?? p.id,
    handle: p.handle,
    title: p.title,
    descriptionHtml: p.body_html ?? "",
    productType: p.product_type ?? "",
    vendor: p.vendor ?? "",
    tags: typeof p.tags === "string" ? p.tags.split(",") : p.tags,
    status: p.status,
    updatedAt: p.updated_at,
    onlineStoreUrl: null,
    media: { nodes: [...(typeof featured === "string" ? [{ image: { url: featured } }] : []), ...images.map((i) => ({ image: { url: i.src } }))] },
    variants: { nodes: variants.map((v) => ({ id: v.admin_graphql_api_id ?? v.id, price: v.price, availableForSale: variantAvailable(v), image: restVariantImage(v, images) })) },
    priceRangeV2: variants.length ? { minVariantPrice: { amount: String(minOf(variants.map((v) => Number(v.price)).filter(Number.isFinite))), currencyCode: currency } } : undefined,
  };
}
