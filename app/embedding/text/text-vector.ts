/**
 * Hashed bag-of-features text vector for product text (no model needed).
 *
 * Features: word unigrams, word bigrams and character 3-grams (of each word
 * padded with spaces), hashed with 32-bit FNV-1a into TEXT_DIM buckets with a
 * sign bit from a second hash ("signed hashing", so collisions cancel out on
 * average instead of piling up). Field weights: title 2, productType 2,
 * tags 1.5, vendor 1, description 0.1 (words and bigrams only: its char
 * 3-grams swamped the short fields); char 3-grams weigh 0.5 of a word.
 * Each whole tag and the whole product type are also one "atomic" feature
 * of weight 6: the merchant's own taxonomy ("Men", "Hoodies & Sweatshirts")
 * is the best category signal a product has (measured in docs/quality.md).
 * Text is HTML-stripped, entity-decoded, NFKC-normalised, diacritics removed
 * and lowercased. The result is L2-normalised; input with no tokens gives the
 * ZERO vector (dot product 0 with everything), never NaN.
 */
import { l2normalize } from "../vector-codec";

export const TEXT_DIM = 512;

export interface TextFields {
  title: string;
  productType?: string;
  vendor?: string;
  tags?: string[];
  description?: string;
}

const FIELD_WEIGHTS = { title: 2, productType: 2, tags: 1.5, vendor: 1, description: 0.1 } as const;
/** Weight of a whole tag / the whole product type as a single feature. */
const ATOM_WEIGHT = 6;
const CHAR_NGRAM_WEIGHT = 0.5;
const BIGRAM_WEIGHT = 0.75;

/** 32-bit FNV-1a over UTF-16 code units, with a seed mixed into the offset basis. */
export function fnv1a(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

export function normalizeText(s: string): string {
  return s
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === "#") {
        const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : " ";
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .normalize("NFKC")
    .toLowerCase();
}

export function tokenize(s: string): string[] {
  return normalizeText(s).match(/[\p{L}\p{N}]+/gu) ?? [];
}

function add(vec: Float64Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
  vec[h % TEXT_DIM] += sign * weight;
}

function addField(vec: Float64Array, text: string | undefined, weight: number, charNgrams = true): void {
  if (!text) return;
  const words = tokenize(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    add(vec, `w:${w}`, weight);
    if (i + 1 < words.length) add(vec, `b:${w} ${words[i + 1]}`, weight * BIGRAM_WEIGHT);
    if (!charNgrams) continue;
    const padded = ` ${w} `;
    for (let j = 0; j + 3 <= padded.length; j++) add(vec, `c:${padded.slice(j, j + 3)}`, weight * CHAR_NGRAM_WEIGHT);
  }
}

export function textVector(fields: TextFields): Float32Array {
  const vec = new Float64Array(TEXT_DIM);
  addField(vec, fields.title, FIELD_WEIGHTS.title);
  addField(vec, fields.productType, FIELD_WEIGHTS.productType);
  const atom = (kind: string, value: string | undefined) => {
    const key = tokenize(value ?? "").join(" ");
    if (key) add(vec, `${kind}:${key}`, ATOM_WEIGHT);
  };
  atom("p", fields.productType);
  for (const tag of fields.tags ?? []) atom("t", tag);
  // Tags are separate phrases: no bigrams across tag boundaries.
  for (const tag of fields.tags ?? []) addField(vec, tag, FIELD_WEIGHTS.tags);
  addField(vec, fields.vendor, FIELD_WEIGHTS.vendor);
  addField(vec, fields.description, FIELD_WEIGHTS.description, false);
  return l2normalize(vec);
}
