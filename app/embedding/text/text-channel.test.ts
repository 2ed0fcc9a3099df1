import { describe, expect, it } from "vitest";
import { detectFacets } from "./tag-facets";
import { FACET_DIM, FACET_SHARE, facetValueWeight, facetVector, textChannelDim, textChannelVector, textQueryVector } from "./text-channel";
import { textVector, TEXT_DIM } from "./text-vector";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

const catalog = [
  { title: "Hoodie", tags: ["Men", "Tops", "Red"] },
  { title: "Hoodie", tags: ["Women", "Tops", "Red"] },
  { title: "Tee", tags: ["Men", "Tops", "Blue"] },
  { title: "Short", tags: ["Men", "Bottoms", "Red"] },
  { title: "Short", tags: ["Women", "Bottoms", "Red"] },
  { title: "Tee", tags: ["Women", "Tops", "Blue", "Red"] },
];
const facets = detectFacets(catalog.map((p) => p.tags));

describe("text channel with facet values", () => {
  it("sees men/women and tops/bottoms as facets, colours not", () => {
    expect([...facets.values.keys()].sort()).toEqual(["bottoms", "men", "tops", "women"]);
  });

  it("scores (1−β)·cos(text) + β·cos(facet values)", () => {
    const [a, b] = catalog.map((p) => textVector({ title: p.title, tags: p.tags }));
    const va = textChannelVector(a, facets, catalog[0].tags)!;
    const vb = textChannelVector(b, facets, catalog[1].tags)!;
    expect(va).toHaveLength(textChannelDim(TEXT_DIM));
    const fa = facetVector(facets, catalog[0].tags);
    const fb = facetVector(facets, catalog[1].tags);
    // Men/Tops vs Women/Tops: only "Tops" shared, counted at its weight.
    const w = (key: string) => facetValueWeight(facets, facets.values.get(key)!);
    const shared = w("tops") ** 2 / Math.sqrt((w("men") ** 2 + w("tops") ** 2) * (w("women") ** 2 + w("tops") ** 2));
    expect(dot(fa, fb)).toBeCloseTo(shared, 6);
    expect(dot(va, vb)).toBeCloseTo((1 - FACET_SHARE) * dot(a, b) + FACET_SHARE * shared, 5);
    expect(dot(va, va)).toBeCloseTo(1, 5);
  });

  it("ranks a same-department product above one that only shares a colour tag", () => {
    const vec = (i: number) => textChannelVector(textVector({ title: "Item", tags: catalog[i].tags }), facets, catalog[i].tags)!;
    // Men/Tops/Red vs Men/Tops/Blue (same facets, other colour) and Women/Bottoms/Red (shares only the colour).
    expect(dot(vec(0), vec(2))).toBeGreaterThan(dot(vec(0), vec(4)));
    expect(dot(vec(0), vec(2))).toBeGreaterThan(dot(vec(0), vec(1)));
  });

  it("ranks the same leaf first, then the same department, then the same kind in another department", () => {
    // A shop tagged department (2 values, half the shop each) + kind (5 values, a tenth each).
    const kinds = ["Jackets", "Tees", "Pants", "Shorts", "Hoodies"];
    const shop = ["Men", "Women"].flatMap((dept) => kinds.flatMap((kind) => Array.from({ length: 4 }, () => [dept, kind])));
    const f = detectFacets(shop);
    expect(f.groups.length).toBe(2);
    const v = (tags: string[]) => facetVector(f, tags);
    const jacket = v(["Men", "Jackets"]);
    const sameLeaf = dot(jacket, v(["Men", "Jackets"]));
    const sameDepartment = dot(jacket, v(["Men", "Tees"]));
    const sameKind = dot(jacket, v(["Women", "Jackets"]));
    expect(sameLeaf).toBeCloseTo(1, 6);
    expect(sameDepartment).toBeGreaterThan(sameKind);
    expect(sameLeaf - sameDepartment).toBeGreaterThan(0.1); // the kind still orders a department
  });

  it("gives a product without facet values a zero facet part, and no channel without text", () => {
    const v = textChannelVector(textVector({ title: "Gift card" }), facets, ["Gift"])!;
    expect(Array.from(v.subarray(TEXT_DIM)).every((x) => x === 0)).toBe(true);
    expect(textChannelVector(undefined, facets, ["Men"])).toBeUndefined();
    expect(facetVector(facets, [])).toHaveLength(FACET_DIM);
  });

  it("a text query scores exactly cos(query, product text)", () => {
    const q = textVector({ title: "red hoodie" });
    const t = textVector({ title: "Hoodie", tags: ["Men", "Tops", "Red"] });
    expect(dot(textQueryVector(q), textChannelVector(t, facets, ["Men", "Tops", "Red"])!)).toBeCloseTo(dot(q, t), 5);
  });
});
