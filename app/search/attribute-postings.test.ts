import { describe, expect, it } from "vitest";
import { AttributePostings, type CandidateSet } from "./attribute-postings";
import { compileNormalizedFilter, normalizeAttributes, type NormalizedAttributes, type ProductFilter } from "./filters";
import { seededRandom } from "../shared/seeded-random";

const TAGS = ["red", "blue", "sale", "new", "cotton"];
function randomAttrs(rand: () => number): NormalizedAttributes {
  return normalizeAttributes({
    price: Math.round(rand() * 10_000) / 100,
    available: rand() < 0.7,
    productType: ["Shirts", "Bags", "Shoes"][Math.floor(rand() * 3)],
    vendor: ["Acme", "Luma"][Math.floor(rand() * 2)],
    tags: TAGS.filter(() => rand() < 0.3),
  });
}

const FILTERS: ProductFilter[] = [
  { minPrice: 10, maxPrice: 20 },
  { minPrice: 99 },
  { maxPrice: 0.5, minPriceExclusive: true },
  { available: false },
  { productTypes: ["bags", " SHOES"] },
  { vendors: ["Luma"] },
  { tags: ["red", "sale"] },
  { tags: ["red"], tagGroups: [["new", "cotton"]], minPrice: 50 },
  { productTypes: ["Hats"] },
];

/** The set's labels as forEach visits them; `at` must index the same ones (-1 for skipped entries). */
function labelsOf(c: CandidateSet): number[] {
  const seen: number[] = [];
  c.forEach((l) => seen.push(l));
  const indexed = Array.from({ length: c.size }, (_, i) => c.at(i)).filter((l) => l >= 0);
  expect(indexed).toEqual(seen);
  return seen;
}

/** Every matching live label is a candidate, and no candidate is listed twice. */
function expectSuperset(postings: AttributePostings, attrs: (NormalizedAttributes | undefined)[]) {
  const live = attrs.filter(Boolean).length;
  for (const filter of FILTERS) {
    const c = postings.candidates(filter, attrs, attrs.length, live);
    expect(c).toBeDefined();
    const labels = labelsOf(c!);
    const set = new Set(labels);
    expect(set.size).toBe(labels.length);
    const pred = compileNormalizedFilter(filter);
    const missed = attrs.flatMap((a, l) => (a && pred(a) && !set.has(l) ? [l] : []));
    expect(missed).toEqual([]);
  }
}

describe("AttributePostings", () => {
  it("gives every matching product of price, availability, type, vendor and tag filters, and fewer candidates than products", () => {
    const rand = seededRandom(3);
    const attrs = Array.from({ length: 3_000 }, () => randomAttrs(rand));
    const postings = new AttributePostings();
    expectSuperset(postings, attrs);
    expect(labelsOf(postings.candidates({ minPrice: 10, maxPrice: 20 }, attrs, attrs.length, attrs.length)!).length).toBeLessThan(500);
    expect(labelsOf(postings.candidates({ productTypes: ["Hats"] }, attrs, attrs.length, attrs.length)!)).toHaveLength(0);
    expect(postings.rebuilds).toBe(1);
    expect(postings.bytes).toBeGreaterThan(3_000 * 12); // price order + prices, and the lists
  });

  it("has no candidates to offer for a filter of exclusions only", () => {
    const attrs = [normalizeAttributes({ price: 1, available: true, productType: "A", vendor: "V", tags: [] })];
    expect(new AttributePostings().candidates({ excludeIds: ["x"], excludeTags: ["y"] }, attrs, 1, 1)).toBeUndefined();
  });

  it("keeps up with changes: touched products are candidates until a rebuild folds them in", () => {
    const rand = seededRandom(9);
    const attrs: (NormalizedAttributes | undefined)[] = Array.from({ length: 20_000 }, () => randomAttrs(rand));
    const postings = new AttributePostings();
    expectSuperset(postings, attrs);
    // A few changes (fewer than 1/32 of the catalog): a price moved into a range, a tag added, a
    // product deleted, a new one appended.
    attrs[5] = { ...attrs[5]!, price: 15 };
    attrs[6] = { ...attrs[6]!, tags: [...attrs[6]!.tags, "red"] };
    attrs[7] = undefined;
    attrs.push(randomAttrs(rand));
    for (const l of [5, 6, 7, attrs.length - 1]) postings.touch(l);
    expectSuperset(postings, attrs);
    expect(postings.rebuilds).toBe(1);
    expect(labelsOf(postings.candidates({ minPrice: 15, maxPrice: 15 }, attrs, attrs.length, attrs.length - 1)!)).toContain(5);
    // Many changes: rebuilt once they pass 1/32 of the catalog.
    for (let l = 100; l < 800; l++) {
      attrs[l] = randomAttrs(rand);
      postings.touch(l);
    }
    expectSuperset(postings, attrs);
    expect(postings.rebuilds).toBe(2);
    // A new array (labels renumbered by a compaction) is indexed afresh.
    const compacted = attrs.filter(Boolean);
    expectSuperset(postings, compacted);
    expect(postings.rebuilds).toBe(3);
  });
});
