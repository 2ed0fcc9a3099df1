/**
 * Facet tags: the part of a merchant's tags that works as a taxonomy.
 *
 * Merchants tag products with everything at once — department ("Men", "Women"), kind ("Tops",
 * "Bottoms"), colours, collections, promotions. Tags that are *facet values* partition the
 * catalog: no product carries two values of one facet, and together the values cover much of the
 * catalog ("Men" | "Women" | "Gear"). Colours, collections and promotions overlap freely, so they
 * do not form facets. Sharing a facet value is strong evidence that two products are the same
 * kind of thing; sharing a colour tag is weak evidence. The similar-products text channel weights
 * facet values up (live-catalogs.server.ts), computed from the shop's own tags — nothing here
 * knows any catalog's vocabulary.
 *
 * Detection (greedy, deterministic): tags by descending product count; each joins the first group
 * whose every member it (almost) never co-occurs with, else starts a group. A group is a facet when
 * it has ≥ 2 values, covers ≥ MIN_COVERAGE of the products, and no single value dominates it (a
 * frequent tag grouped with a few rare ones it happens not to meet — "Blue" with "Bags" — is not a
 * partition). Tags on (almost) every product say nothing and are skipped.
 */
import { tokenize } from "./text-vector.js";

export interface TagFacets {
  /** The facets: each a list of normalised tag keys (see tagKey), most frequent first. */
  groups: string[][];
  /** Every facet value's key → its ordinal over all facets (its slot in a facet vector). */
  values: Map<string, number>;
  /** How many products the detection saw. */
  count: number;
}

export const NO_FACETS: TagFacets = { groups: [], values: new Map(), count: 0 };

/** The facets of `groups` (as detectFacets made them, e.g. read back from a snapshot). */
export function facetsFromGroups(groups: string[][], count: number): TagFacets {
  const values = new Map<string, number>();
  for (const g of groups) for (const key of g) if (!values.has(key)) values.set(key, values.size);
  return { groups, values, count };
}

/** Facets detected over `facets.count` products no longer describe a catalog of `count` (drift > 25%). */
export function facetsAreStale(facets: TagFacets, count: number): boolean {
  if (facets.count === 0) return count > 0;
  return Math.abs(count - facets.count) > STALE_DRIFT * facets.count;
}

export const MIN_COVERAGE = 0.5;
/** A facet's most frequent value may hold at most this share of the facet's products. */
export const MAX_DOMINANCE = 0.75;
/** Two values of one facet may share at most this fraction of the rarer one's products (tagging slips). */
export const OVERLAP_TOLERANCE = 0.02;
const MIN_PRODUCTS = 2;
const STALE_DRIFT = 0.25;
const MAX_TAGS_PER_PRODUCT = 250;
const MAX_CANDIDATES = 2_000;

/** The key a tag is compared by: its words, lower-cased and accent-free ("Hoodies & Sweatshirts" → "hoodies sweatshirts"). */
export function tagKey(tag: string): string {
  return tokenize(tag).join(" ");
}

export function detectFacets(tagLists: Iterable<readonly string[]>): TagFacets {
  const products: Set<string>[] = [];
  for (const tags of tagLists) products.push(new Set(tags.slice(0, MAX_TAGS_PER_PRODUCT).map(tagKey).filter(Boolean)));
  const n = products.length;
  const holders = new Map<string, number[]>();
  products.forEach((set, i) => {
    for (const t of set) {
      let h = holders.get(t);
      if (!h) holders.set(t, (h = []));
      h.push(i);
    }
  });
  const candidates = [...holders]
    .filter(([, h]) => h.length >= MIN_PRODUCTS && h.length < 0.95 * n)
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_CANDIDATES);

  const groups: { tags: string[]; covered: Set<number> }[] = [];
  for (const [tag, h] of candidates) {
    const group = groups.find((g) => g.tags.every((u) => {
      const other = holders.get(u)!;
      const shared = countShared(h, other);
      return shared <= OVERLAP_TOLERANCE * Math.min(h.length, other.length);
    }));
    if (group) {
      group.tags.push(tag);
      for (const i of h) group.covered.add(i);
    } else {
      groups.push({ tags: [tag], covered: new Set(h) });
    }
  }

  const facets = groups.filter((g) => g.tags.length >= 2 && g.covered.size >= MIN_COVERAGE * n && holders.get(g.tags[0])!.length <= MAX_DOMINANCE * g.covered.size);
  return facetsFromGroups(facets.map((g) => g.tags), n);
}

/** Size of the intersection of two ascending index lists. */
function countShared(a: number[], b: number[]): number {
  let i = 0;
  let j = 0;
  let c = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { c++; i++; j++; } else if (a[i] < b[j]) i++; else j++;
  }
  return c;
}

