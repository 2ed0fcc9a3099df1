import { describe, expect, it } from "vitest";
import { ShopVectorIndex } from "./shop-vector-index.server";
import { syntheticCatalog } from "../../scripts/lib/synthetic-catalog";
import { build, dims, weights } from "../../test/support/shop-vector-index";

describe("ShopVectorIndex stats", () => {
  it("stats report size, capacity and a memory estimate", () => {
    const idx = build(syntheticCatalog({ n: 5000, dims, clusters: 40, seed: 7, missingTextFraction: 0.1 }));
    const s = idx.stats();
    expect(s.size).toBe(5000);
    expect(s.deleted).toBe(0);
    expect(s.capacity).toBeGreaterThanOrEqual(5000);
    expect(s.dim).toBe(84);
    expect(s.memory.hnswBytes).toBeGreaterThan(s.rawVectorBytes);
    expect(s.memory.quantizedBytes).toBeLessThan(s.rawVectorBytes);
  });

  const products = syntheticCatalog({ n: 600, dims, clusters: 10, seed: 11 });

  it("the attributes' memory estimate follows changes: after replacing and removing products it equals a fresh index's", () => {
    const idx = build(products);
    const many = { ...products[0].attrs, tags: Array.from({ length: 50 }, (_, i) => `tag-${i}`) };
    idx.upsert(products[0].id, products[0].vectors, many); // attributes only
    idx.upsert(products[1].id, products[2].vectors, many); // new vector
    for (let i = 10; i < 40; i++) idx.remove(products[i].id);
    const fresh = new ShopVectorIndex({ dims, weights, M: 16, efConstruction: 200, initialCapacity: 1024 });
    for (const id of idx.ids()) fresh.upsert(id, products[0].vectors, idx.attributes(id)!);
    // The estimate counts 8 bytes per label ever assigned (retired ones too) besides the attributes.
    const attributesOnly = (x: ShopVectorIndex) => x.stats().memory.attributesBytes - (x.stats().size + x.stats().deleted) * 8;
    expect(attributesOnly(idx)).toBe(attributesOnly(fresh));
    expect(attributesOnly(idx)).toBeGreaterThan(attributesOnly(build(products.slice(10, 40)))); // and it is not a constant
  });
});
