/**
 * The one string a text model (MiniLM, CLIP's text tower) embeds for a product: its fields in
 * order of importance — title, product type, vendor, tags, description — so a tokenizer's
 * truncation (CLIP: 77 tokens) cuts the description first. The hashed text vector does not use
 * this: it keeps its per-field weights (text-vector.ts). Pure.
 * Changing the output changes every product's text vector: bump TEXT_VECTOR_VERSION.
 */
import type { TextFields } from "./text-vector";

/** Characters kept (MiniLM reads at most 256 tokens, CLIP 77: more would be truncated anyway). */
export const PRODUCT_TEXT_MAX_CHARS = 1_500;

const clean = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();

export function productText(fields: TextFields): string {
  const tags = (fields.tags ?? []).map(clean).filter(Boolean).join(", ");
  const parts = [fields.title, fields.productType, fields.vendor, tags, fields.description].map(clean).filter(Boolean);
  return parts
    .map((p) => (/[.!?]$/.test(p) ? p : `${p}.`))
    .join(" ")
    .slice(0, PRODUCT_TEXT_MAX_CHARS);
}
