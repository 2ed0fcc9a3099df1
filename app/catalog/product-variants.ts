/**
 * A product's variants as the storefront cards need them: id, price, availability, and which of
 * the product's stored photos is the variant's own (Shopify's variant media). Pure: no I/O.
 * Parsed from Admin GraphQL variant nodes (bulk JSONL, catalog files) and stored on the product
 * row as JSON (`Product.variants`); the live index reads them back with `readStoredVariants`.
 */
export class VariantDataError extends Error {}

export interface ProductVariant {
  /** Numeric Shopify id as a string ("4123"). */
  id: string;
  /** Decimal string, as the card shows it ("52.00"). */
  price: string;
  available: boolean;
  /** Index of the variant's own photo in the product's stored photos (imageUrls), or -1. */
  photo: number;
}

/** At most this many variants are kept per product (the cards need the ones with photos first). */
export const MAX_VARIANTS = 100;

type Node = Record<string, unknown>;

/** "gid://shopify/ProductVariant/123" or "123" (or 123) → "123"; anything else → null. */
export function variantNumericId(value: unknown): string | null {
  const s = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : typeof value === "string" ? value.trim() : "";
  const m = /^(?:gid:\/\/shopify\/ProductVariant\/)?(\d{1,20})$/.exec(s);
  return m ? m[1] : null;
}

/** The URL of a variant node's own photo: `image.url`, or its first media's image. */
export function variantImageUrl(v: Node): string | null {
  const image = (v.image as Node | null | undefined)?.url;
  if (typeof image === "string" && image) return image;
  const media = v.media as { nodes?: Node[]; edges?: { node: Node }[] } | undefined;
  const first = media?.nodes?.[0] ?? media?.edges?.[0]?.node;
  const url = (first?.image as Node | undefined)?.url ?? (first?.preview as { image?: Node } | undefined)?.image?.url;
  return typeof url === "string" && url ? url : null;
}

/**
 * The variants of a product node, linked to its stored photos by URL. Variants without an id (old
 * catalog files) are not stored; a variant with an id that is no variant id, or a price that is no
 * price, is a VariantDataError (the whole product is refused: nothing is half-written).
 */
export function parseVariants(variantNodes: Node[], imageUrls: readonly string[], productId: string): ProductVariant[] {
  const out: ProductVariant[] = [];
  const seen = new Set<string>();
  for (const v of variantNodes) {
    if (out.length >= MAX_VARIANTS) break;
    if (!v || typeof v !== "object") throw new VariantDataError(`product ${productId}: a variant is not an object`);
    if (v.id === undefined || v.id === null) continue;
    const id = variantNumericId(v.id);
    if (!id) throw new VariantDataError(`product ${productId}: invalid variant id ${JSON.stringify(v.id)?.slice(0, 60)}`);
    if (seen.has(id)) continue;
    const rawPrice = typeof v.price === "object" && v.price !== null ? (v.price as Node).amount : v.price;
    const price = Number(rawPrice);
    if (rawPrice === undefined || rawPrice === null || rawPrice === "" || !Number.isFinite(price) || price < 0 || price > 1e12) {
      throw new VariantDataError(`product ${productId}: variant ${id} has an invalid price ${JSON.stringify(rawPrice)?.slice(0, 40)}`);
    }
    if (v.availableForSale !== undefined && typeof v.availableForSale !== "boolean") {
      throw new VariantDataError(`product ${productId}: variant ${id} has an invalid availableForSale`);
    }
    const url = variantImageUrl(v);
    seen.add(id);
    out.push({ id, price: price.toFixed(2), available: v.availableForSale !== false, photo: url ? imageUrls.indexOf(url) : -1 });
  }
  return out;
}

/** The stored JSON back (tolerant: a row written before variants were stored, or damaged, has none). */
export function readStoredVariants(json: string | null | undefined): ProductVariant[] {
  if (!json || json === "[]") return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (v): v is ProductVariant => !!v && typeof v.id === "string" && typeof v.price === "string" && typeof v.available === "boolean" && Number.isInteger(v.photo),
    );
  } catch {
    return [];
  }
}

/**
 * The variant a card shows for photo `photo` of the product (the photo that matched, or 0 — the
 * featured photo — for similar products):
 * - the first available variant whose own photo it is; else the first such variant (sold out);
 * - with `hideOutOfStock`, never a sold-out one: another available variant instead (one with a
 *   photo of its own first), or null when none is (the product is then hidden by the filter);
 * - null when the photo belongs to no variant (the card stays the product's).
 */
export function variantForPhoto(variants: readonly ProductVariant[], photo: number, hideOutOfStock: boolean): ProductVariant | null {
  let soldOut: ProductVariant | null = null;
  for (const v of variants) {
    if (v.photo !== photo) continue;
    if (v.available) return v;
    soldOut ??= v;
  }
  if (!soldOut) return null;
  if (!hideOutOfStock) return soldOut;
  let withoutPhoto: ProductVariant | null = null;
  for (const v of variants) {
    if (!v.available) continue;
    if (v.photo >= 0) return v;
    withoutPhoto ??= v;
  }
  return withoutPhoto;
}
