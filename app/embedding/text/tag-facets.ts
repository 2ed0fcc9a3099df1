/**
 * Facet tags: the part of a merchant's tags that works as a taxonomy.
 *
 * Merchants tag products with everything at once — department ("Men", "Women"), kind ("Tops",
 * "Bottoms"), colours, collections, promotions. Tags that are *facet values* partition the
 * catalog: no product carries two values of one facet, and together the values cover much of the
 * catalog ("Men" | "Women" | "Gear"). Colours, collections and promotions overlap freely, so they
 * do not form facets. Sharing a facet value is strong evidence that two products are the same
 * kind of thing; sharing a colour tag is weak evidence. The similar-products text channel weights
 * facet values up (app/live-index/row-vectors.ts), computed from the shop's own tags — nothing here
 * knows any catalog's vocabulary.
 *
 * Detection (greedy, deterministic, on a hashed sample of about MAX_SAMPLE products): tags by
 * descending product count; each joins the largest group whose products it (almost) never shares,
 * else starts a group. A group is a facet when
 * it has ≥ 2 values, covers ≥ MIN_COVERAGE of the products, and no single value dominates it (a
 * frequent tag grouped with a few rare ones it happens not to meet — "Blue" with "Bags" — is not a
 * partition). Tags on (almost) every product say nothing and are skipped.
 */
import { tokenize } from "./text-vector";

export interface TagFacets {
  /** The facets: each a list of normalised tag keys (see tagKey), most frequent first. */
  groups: string[][];
  /** Every facet value's key → its ordinal over all facets (its slot in a facet vector). */
  values: Map<string, number>;
  /** How many products the detection saw. */
  count: number;
  /** Each facet value's share of those products (by ordinal, as `values`). */
  shares: number[];
}

export const NO_FACETS: TagFacets = { groups: [], values: new Map(), count: 0, shares: [] };

/**
 * The facets of `groups` (as detectFacets made them, e.g. read back from a snapshot), with each
 * value's share of the catalog, in the groups' order.
 */
export function facetsFromGroups(groups: string[][], count: number, groupShares: number[][]): TagFacets {
  const values = new Map<string, number>();
  const shares: number[] = [];
  groups.forEach((g, gi) =>
    g.forEach((key, vi) => {
      if (values.has(key)) return;
      values.set(key, values.size);
      shares.push(groupShares[gi]?.[vi] ?? 0);
    }),
  );
  return { groups, values, count, shares };
}

/** The shares of `facets`' values, grouped as `facets.groups` (for a snapshot). */
export function groupShares(facets: TagFacets): number[][] {
  return facets.groups.map((g) => g.map((key) => facets.shares[facets.values.get(key)!] ?? 0));
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
const MAX_CANDIDATES = 1_000;
const MAX_SAMPLE = 4_000;

/** The key a tag is compared by: its words, lower-cased and accent-free ("Hoodies & Sweatshirts" → "hoodies sweatshirts"). */
export function tagKey(tag: string): string {
  return tokenize(tag).join(" ");
}

export function detectFacets(tagLists: Iterable<readonly string[]>): TagFacets {
  const all = [...tagLists];
  // A facet is a statistic of the catalog: an even sample of a big one finds the same groups at a
  // bounded cost (this runs in the web process when a shop's index is built).
  // (A hashed, not a strided, choice: a catalog listed in some periodic order must not alias.)
  const keep = Math.min(1, MAX_SAMPLE / Math.max(1, all.length));
  const products: Set<string>[] = [];
  for (let i = 0; i < all.length; i++) {
    if (keep < 1 && mix32(i) / 4294967296 >= keep) continue;
    products.push(new Set(all[i].slice(0, MAX_TAGS_PER_PRODUCT).map(tagKey).filter(Boolean)));
  }
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

  // A tag joins a group whose products it (almost) never shares — compared with the group's
  // union, not member by member, so that rare tags which merely happen not to meet (independent
  // tags of 1% each) stop being "exclusive" once their group covers a few percent of the catalog.
  const groups: { tags: string[]; covered: Uint8Array; size: number }[] = [];
  for (const [tag, h] of candidates) {
    const allowed = Math.floor(OVERLAP_TOLERANCE * h.length);
    // The largest such group: a value of a real facet belongs with its siblings, not with a
    // frequent tag it merely happens not to meet.
    let group: (typeof groups)[number] | undefined;
    for (const g of groups) if ((!group || g.size > group.size) && countCovered(h, g.covered, allowed) <= allowed) group = g;
    if (group) {
      group.tags.push(tag);
    } else {
      groups.push({ tags: [tag], covered: new Uint8Array(n), size: 0 });
    }
    const g = group ?? groups[groups.length - 1];
    for (const i of h) if (!g.covered[i]) { g.covered[i] = 1; g.size++; }
  }

  const facets = groups.filter((g) => g.tags.length >= 2 && g.size >= MIN_COVERAGE * n && holders.get(g.tags[0])!.length <= MAX_DOMINANCE * g.size);
  return facetsFromGroups(
    facets.map((g) => g.tags),
    all.length,
    facets.map((g) => g.tags.map((t) => holders.get(t)!.length / n)),
  );
}

/** A 32-bit integer hash (deterministic sampling). */
function mix32(i: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** How many of the products `h` lists are covered, counted up to `limit` + 1 (enough to say "more than limit"). */
function countCovered(h: number[], covered: Uint8Array, limit: number): number {
  let c = 0;
  for (const i of h) if (covered[i] && ++c > limit) break;
  return c;
}

