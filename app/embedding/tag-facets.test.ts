import { describe, expect, it } from "vitest";
import { detectFacets, facetsAreStale, facetsFromGroups, tagKey } from "./tag-facets";

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
  });

  it("does not make a facet of a frequent tag and the few rare tags it happens not to meet", () => {
    // "Blue" on 20 products; "Bags"/"Watches" on the 4 others: exclusive, but one value dominates.
    const lists = [...Array.from({ length: 20 }, () => ["Blue", "Apparel"]), ["Bags"], ["Bags"], ["Watches"], ["Watches"]];
    const f = detectFacets(lists);
    expect(f.values.has("blue")).toBe(false);
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
    expect(facetsFromGroups(f.groups, f.count)).toEqual(f);
    expect(facetsAreStale(f, 24)).toBe(false);
    expect(facetsAreStale(f, 29)).toBe(false);
    expect(facetsAreStale(f, 31)).toBe(true);
    expect(facetsAreStale(facetsFromGroups([], 0), 0)).toBe(false);
    expect(facetsAreStale(facetsFromGroups([], 0), 1)).toBe(true);
  });
});
