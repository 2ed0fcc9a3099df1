import { describe, expect, it } from "vitest";
import { detectFacets, facetsAreStale, facetsFromGroups, groupShares, tagKey } from "./tag-facets";

// A small shop: every product has a department and a kind, plus colours and promotions that overlap freely.
function shop(): string[][] {
  const out: string[][] = [];
  const colours = ["Red", "Blue", "Black", "Green"];
  let i = 0;
  for (const dept of ["Men", "Women"]) {
    for (const kind of ["Tees", "Shorts", "Jackets"]) {
      for (let k = 0; k < 4; k++, i++) {
        out.push([dept, kind, colours[i % 4], colours[(i + 1) % 4], colours[(i + 2) % 4], ...(i % 3 === 0 ? ["Sale"] : [])]);
      }
    }
  }
  return out;
}

describe("detectFacets", () => {
  it("finds the tags that partition the catalog and leaves overlapping ones out", () => {
    const f = detectFacets(shop());
    const groups = f.groups.map((g) => [...g].sort());
    expect(groups).toContainEqual(["men", "women"]);
    expect(groups).toContainEqual(["jackets", "shorts", "tees"]);
    // Colours (three per product) and a promotion on a third of the products are not facet values.
    for (const t of ["red", "blue", "black", "green", "sale"]) expect(f.values.has(t)).toBe(false);
    expect(f.count).toBe(24);
    // Each value's share of the catalog: a department holds half of it, a kind a third.
    expect(f.shares[f.values.get("men")!]).toBeCloseTo(0.5, 6);
    expect(f.shares[f.values.get("jackets")!]).toBeCloseTo(1 / 3, 6);
  });

  it("does not make a facet of a frequent tag and the few rare tags it happens not to meet", () => {
    // "Blue" on 20 products; "Bags"/"Watches" on the 4 others: exclusive, but one value dominates.
    const lists = [...Array.from({ length: 20 }, () => ["Blue", "Apparel"]), ["Bags"], ["Bags"], ["Watches"], ["Watches"]];
    const f = detectFacets(lists);
    expect(f.values.has("blue")).toBe(false);
  });

  it("finds a many-valued facet among frequent independent tags (100k products, sampled)", () => {
    // A department (4 values), a kind (40 values of ~2.5%) and 20 tags a product drawn from a
    // skewed vocabulary of 5,000 (some as frequent as the kinds, most rare), as real tag clouds are.
    let x = 42;
    const rnd = () => {
      x = (x + 0x6d2b79f5) >>> 0;
      let t = Math.imul(x ^ (x >>> 15), 1 | x);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const lists = Array.from({ length: 100_000 }, (_, i) => [
      `Dept ${i % 4}`,
      `Kind ${Math.floor(rnd() * 40)}`,
      ...Array.from({ length: 20 }, () => `Tag ${Math.floor(rnd() ** 3 * 5000)}`),
    ]);
    const f = detectFacets(lists);
    expect(f.count).toBe(100_000);
    const depts = f.groups.find((g) => g.includes("dept 0"));
    expect(depts && [...depts].sort()).toEqual(["dept 0", "dept 1", "dept 2", "dept 3"]);
    const kinds = f.groups.find((g) => g.some((t) => t.startsWith("kind")));
    // Most kinds end up together (a few may be missed), and no frequent tag is taken for a value.
    expect(kinds!.filter((t) => t.startsWith("kind")).length).toBeGreaterThanOrEqual(30);
    expect(f.groups.flat().filter((t) => t.startsWith("tag"))).toEqual([]);
  });

  it("compares tags by their words, ignoring case, accents and punctuation", () => {
    expect(tagKey("Hoodies & Sweatshirts")).toBe("hoodies sweatshirts");
    const f = detectFacets([["Café"], ["CAFE"], ["Tea"], ["tea!"]]);
    expect([...f.values.keys()].sort()).toEqual(["cafe", "tea"]);
  });

  it("is deterministic and empty for a catalog without tags", () => {
    expect(detectFacets(shop())).toEqual(detectFacets(shop()));
    const none = detectFacets([[], [], []]);
    expect(none.groups).toEqual([]);
  });

  it("round-trips through its groups and says when the catalog has drifted", () => {
    const f = detectFacets(shop());
    expect(facetsFromGroups(f.groups, f.count, groupShares(f))).toEqual(f);
    expect(facetsAreStale(f, 24)).toBe(false);
    expect(facetsAreStale(f, 29)).toBe(false);
    expect(facetsAreStale(f, 31)).toBe(true);
    expect(facetsAreStale(facetsFromGroups([], 0, []), 0)).toBe(false);
    expect(facetsAreStale(facetsFromGroups([], 0, []), 1)).toBe(true);
  });
});
