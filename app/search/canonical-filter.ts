/**
 * The canonical text of a ProductFilter: two filters that select the same products under
 * `compileNormalizedFilter` (lists compared trimmed and lower-cased, any-of lists unordered, tag
 * groups an unordered AND of unordered ORs, duplicates irrelevant) get the same text. Cache keys
 * are built from it (hashed), so a shopper cannot mint distinct keys by reordering or re-casing.
 */
import type { ProductFilter } from "./filters";

const lower = (xs: readonly string[] | undefined): string[] | null =>
  xs?.length ? [...new Set(xs.map((x) => x.trim().toLowerCase()))].sort() : null;

/** Numeric ids: by length, then by digits (the catalog's canonical ids have no leading zeros). */
const byNumber = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export function canonicalFilter(f: ProductFilter | undefined): string {
  if (!f) return "null";
  const groups = [f.tags, ...(f.tagGroups ?? [])].map(lower).filter((g): g is string[] => g !== null);
  const uniqueGroups = [...new Set(groups.map((g) => JSON.stringify(g)))].sort();
  return JSON.stringify([
    f.minPrice ?? null,
    f.minPrice !== undefined && f.minPriceExclusive === true,
    f.maxPrice ?? null,
    f.maxPrice !== undefined && f.maxPriceExclusive === true,
    f.available ?? null,
    lower(f.productTypes),
    lower(f.vendors),
    uniqueGroups,
    f.excludeIds?.length ? [...new Set(f.excludeIds)].sort(byNumber) : null,
    lower(f.excludeProductTypes),
    lower(f.excludeTags),
  ]);
}
