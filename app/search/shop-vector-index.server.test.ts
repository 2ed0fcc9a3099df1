import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blendedScore, type ChannelVectors } from "./combined-vector";
import { matchesFilter, type ProductFilter } from "./filters";
import { ShopVectorIndex, type SearchHit } from "./shop-vector-index.server";
import { syntheticCatalog, syntheticQuery, type SyntheticProduct } from "./synthetic-catalog";

const dims = { image: 48, color: 12, text: 24 };
const weights = { image: 0.6, color: 0.25, text: 0.15 };

function bruteForce(
  products: SyntheticProduct[],
  q: ChannelVectors,
  k: number,
  filter?: ProductFilter,
  excludeId?: string,
): { id: string; score: number }[] {
  return products
    .filter((p) => p.id !== excludeId && (!filter || matchesFilter(p.attrs, filter, p.id)))
    .map((p) => ({ id: p.id, score: blendedScore(weights, q, p.vectors) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

function recall(hits: SearchHit[], exact: { id: string }[]): number {
  if (!exact.length) return 1;
  const got = new Set(hits.map((h) => h.id));
  return exact.filter((e) => got.has(e.id)).length / exact.length;
}

function build(products: SyntheticProduct[], extra: Partial<ConstructorParameters<typeof ShopVectorIndex>[0]> = {}) {
  const idx = new ShopVectorIndex({ dims, weights, M: 16, efConstruction: 200, initialCapacity: 1024, ...extra });
  for (const p of products) idx.upsert(p.id, p.vectors, p.attrs);
  return idx;
}

describe("ShopVectorIndex on 5,000 clustered products", () => {
  const products = syntheticCatalog({ n: 5000, dims, clusters: 40, seed: 7, missingTextFraction: 0.1 });
  const byId = new Map(products.map((p) => [p.id, p]));
  const queries = Array.from({ length: 40 }, (_, i) => syntheticQuery(products[(i * 97) % products.length].vectors, 1000 + i));
  let idx: ShopVectorIndex;
  let forcedHnsw: ShopVectorIndex;

  beforeAll(() => {
    idx = build(products);
    forcedHnsw = build(products, { planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0 } });
  });

  it("blended scores agree exactly with brute force; contributions sum to the score and match each channel to 3 decimals", () => {
    let r = 0;
    for (const q of queries) {
      const hits = idx.searchByVectors(q, { k: 10 });
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        const exact = blendedScore(weights, q, byId.get(h.id)!.vectors);
        expect(h.score).toBeCloseTo(exact, 5);
        expect(h.contributions.image + h.contributions.color + h.contributions.text).toBeCloseTo(h.score, 10);
        const v = byId.get(h.id)!.vectors;
        // The split over channels comes from the int8 copy: explanation-grade, not exact.
        expect(h.contributions.text).toBeCloseTo(v.text && q.text ? weights.text * dot(q.text, v.text) : 0, 3);
      }
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1].score).toBeGreaterThanOrEqual(hits[i].score);
      r += recall(hits, bruteForce(products, q, 10));
    }
    expect(r / queries.length).toBeGreaterThanOrEqual(0.97);
    expect(idx.lastPlan).toBe("hnsw");
  });

  it("a photo query (no text channel) has a zero text contribution", () => {
    const q = { image: queries[0].image, color: queries[0].color };
    const hits = idx.searchByVectors(q, { k: 5 });
    expect(hits).toHaveLength(5);
    for (const h of hits) expect(h.contributions.text).toBe(0);
    expect(hits.map((h) => h.id)).toEqual(bruteForce(products, q, 5).map((e) => e.id));
  });

  it("searchByProduct never returns the product itself", () => {
    for (let i = 0; i < 20; i++) {
      const p = products[i * 11];
      const hits = idx.searchByProduct(p.id, { k: 10 });
      expect(hits).toHaveLength(10);
      expect(hits.some((h) => h.id === p.id)).toBe(false);
      const filtered = idx.searchByProduct(p.id, { k: 10, filter: { tags: ["p10"] } });
      expect(filtered.some((h) => h.id === p.id)).toBe(false);
    }
    expect(idx.searchByProduct("nope", { k: 10 })).toEqual([]);
  });

  const selectivities: [string, ProductFilter][] = [
    ["1%", { tags: ["p1"] }],
    ["10%", { tags: ["p10"] }],
    ["50%", { tags: ["p50"] }],
  ];
  for (const [label, filter] of selectivities) {
    for (const forced of [false, true]) {
      it(`filter at ${label} selectivity (${forced ? "forced filtered HNSW" : "planner"}): min(k, matches) hits, recall ≥ 0.97`, () => {
        const index = forced ? forcedHnsw : idx;
        const matches = products.filter((p) => matchesFilter(p.attrs, filter)).length;
        let r = 0;
        for (const q of queries) {
          const hits = index.searchByVectors(q, { k: 10, filter });
          expect(hits).toHaveLength(Math.min(10, matches));
          for (const h of hits) expect(matchesFilter(byId.get(h.id)!.attrs, filter)).toBe(true);
          r += recall(hits, bruteForce(products, q, 10, filter));
        }
        expect(r / queries.length).toBeGreaterThanOrEqual(0.97);
        if (forced) expect(["filtered-hnsw", "exact-fallback"]).toContain(index.lastPlan);
      });
    }
  }

  it("combined filters: price range, availability, type, vendor, exclude", () => {
    const excludeIds = bruteForce(products, queries[3], 3).map((e) => e.id);
    const filters: ProductFilter[] = [
      { minPrice: 20, maxPrice: 40 },
      { available: false },
      { productTypes: ["bags", "WATCHES"] },
      { vendors: ["vendor 3"], available: true },
      { minPrice: 10, maxPrice: 90, tags: ["p50"], productTypes: ["Shoes"] },
      { excludeIds },
      { minPrice: 99.5 },
      { productTypes: ["None"] },
    ];
    for (const filter of filters) {
      for (const index of [idx, forcedHnsw]) {
        const q = queries[3];
        const exact = bruteForce(products, q, 25, filter);
        const matches = products.filter((p) => matchesFilter(p.attrs, filter, p.id)).length;
        const hits = index.searchByVectors(q, { k: 25, filter });
        expect(hits).toHaveLength(Math.min(25, matches));
        for (const h of hits) expect(matchesFilter(byId.get(h.id)!.attrs, filter, h.id)).toBe(true);
        expect(recall(hits, exact)).toBeGreaterThanOrEqual(0.9);
      }
    }
  });

  it("returns every match when k exceeds the number of matches", () => {
    const few = products.slice(0, 3).map((p) => p.id);
    const keep = new Set(few);
    const filter: ProductFilter = { excludeIds: products.filter((p) => !keep.has(p.id)).map((p) => p.id) };
    const hits = idx.searchByVectors(queries[0], { k: 50, filter });
    expect(hits.map((h) => h.id).sort()).toEqual([...few].sort());
    expect(idx.searchByVectors(queries[0], { k: 0 })).toEqual([]);
    expect(() => idx.searchByVectors(queries[0], { k: -1 })).toThrow(RangeError);
  });

  it("is deterministic and tie-breaks equal scores by id", () => {
    const a = idx.searchByVectors(queries[5], { k: 10, filter: { tags: ["p10"] } });
    const b = idx.searchByVectors(queries[5], { k: 10, filter: { tags: ["p10"] } });
    expect(a).toEqual(b);
    const twin = new ShopVectorIndex({ dims, weights, initialCapacity: 8 });
    const p = products[0];
    for (const id of ["b", "c", "a"]) twin.upsert(id, p.vectors, p.attrs);
    expect(twin.searchByVectors(p.vectors, { k: 3 }).map((h) => h.id)).toEqual(["a", "b", "c"]);
  });

  it("stats report size, capacity and a memory estimate", () => {
    const s = idx.stats();
    expect(s.size).toBe(5000);
    expect(s.deleted).toBe(0);
    expect(s.capacity).toBeGreaterThanOrEqual(5000);
    expect(s.dim).toBe(84);
    expect(s.memory.hnswBytes).toBeGreaterThan(s.rawVectorBytes);
    expect(s.memory.quantizedBytes).toBeLessThan(s.rawVectorBytes);
  });
});

describe("ShopVectorIndex mutations", () => {
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

  it("upsert replaces vectors and attributes", () => {
    const idx = build(products.slice(0, 200), { initialCapacity: 256 });
    const target = products[0];
    const newVectors = products[300].vectors;
    idx.upsert(target.id, newVectors, { ...target.attrs, price: 999 });
    expect(idx.size).toBe(200);
    expect(idx.attributes(target.id)?.price).toBe(999);
    const hits = idx.searchByVectors(newVectors, { k: 1 });
    expect(hits[0].id).toBe(target.id);
    expect(hits[0].score).toBeCloseTo(1, 5);
    // attribute-only update keeps the graph untouched
    const before = idx.stats().deleted;
    idx.upsert(target.id, newVectors, { ...target.attrs, price: 5 });
    expect(idx.stats().deleted).toBe(before);
    expect(idx.attributes(target.id)?.price).toBe(5);
    expect(() => idx.upsert("bad", { image: new Float32Array(3) }, target.attrs)).toThrow(/dimension 3, expected 48/);
  });

  it("removed products are never returned", () => {
    const idx = build(products.slice(0, 300), { initialCapacity: 2048 });
    const removed = new Set(products.slice(0, 100).map((p) => p.id));
    for (const id of removed) expect(idx.remove(id)).toBe(true);
    expect(idx.remove(products[0].id)).toBe(false);
    expect(idx.has(products[0].id)).toBe(false);
    expect(idx.attributes(products[0].id)).toBeUndefined();
    expect(idx.size).toBe(200);
    for (let i = 0; i < 30; i++) {
      const hits = idx.searchByVectors(products[i].vectors, { k: 20 });
      expect(hits).toHaveLength(20);
      for (const h of hits) expect(removed.has(h.id)).toBe(false);
      const filtered = idx.searchByVectors(products[i].vectors, { k: 20, filter: { available: true } });
      for (const h of filtered) expect(removed.has(h.id)).toBe(false);
    }
    expect(idx.searchByProduct(products[0].id, { k: 5 })).toEqual([]);
  });

  it("grows beyond the initial capacity", () => {
    const idx = build(products, { initialCapacity: 16 });
    expect(idx.size).toBe(600);
    expect(idx.stats().capacity).toBe(1024);
    const hits = idx.searchByVectors(products[599].vectors, { k: 1 });
    expect(hits[0].id).toBe(products[599].id);
  });

  it("compacts after many deletes and keeps results correct", async () => {
    const idx = build(products, { initialCapacity: 600 });
    expect(idx.stats().capacity).toBe(600);
    for (let i = 0; i < 120; i++) idx.remove(products[i].id);
    expect(idx.stats().deleted).toBe(120); // exactly 20%: not yet
    idx.remove(products[120].id);
    expect(idx.compactingNow).toBe(true);
    await idx.whenCompacted();
    const s = idx.stats();
    expect(s.deleted).toBe(0);
    expect(s.size).toBe(479);
    const live = products.slice(121);
    for (let i = 0; i < 20; i++) {
      const q = syntheticQuery(live[i * 7].vectors, i);
      const hits = idx.searchByVectors(q, { k: 10 });
      expect(recall(hits, bruteForce(live, q, 10))).toBeGreaterThanOrEqual(0.9);
      expect(idx.searchByProduct(live[i].id, { k: 5 }).some((h) => h.id === live[i].id)).toBe(false);
    }
    idx.upsert("new", products[0].vectors, products[0].attrs);
    expect(idx.searchByVectors(products[0].vectors, { k: 1 })[0].id).toBe("new");
  });
});

describe("ShopVectorIndex persistence", () => {
  const products = syntheticCatalog({ n: 800, dims, clusters: 12, seed: 3 });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lookalike-index-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("compacts in the background: the event loop keeps turning, and what changes meanwhile is served as changed", async () => {
    // 1,500 products at a larger dimension: a synchronous compaction is one long block here.
    const bigDims = { image: 512, color: 12, text: 24 };
    const catalog = syntheticCatalog({ n: 1500, dims: bigDims, clusters: 20, seed: 11 });
    const idx = new ShopVectorIndex({ dims: bigDims, weights, M: 16, efConstruction: 200, initialCapacity: 1500 });
    for (const p of catalog) idx.upsert(p.id, p.vectors, p.attrs);
    for (let i = 0; i < 301; i++) idx.remove(catalog[i].id); // > 20 % of 1,500: compaction starts
    expect(idx.compactingNow).toBe(true);

    // The event loop is handed back while it runs: timers fire, with short gaps.
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 1);
    // Changes meanwhile, to products already copied (the first ones) and not yet copied: removals,
    // replacements (a new vector), a new product.
    await new Promise((r) => setTimeout(r, 20));
    expect(idx.compactingNow).toBe(true);
    idx.remove(catalog[301].id);
    idx.remove(catalog[1400].id);
    idx.upsert(catalog[302].id, catalog[1].vectors, catalog[302].attrs);
    idx.upsert(catalog[1401].id, catalog[3].vectors, catalog[1401].attrs);
    idx.upsert("added", catalog[2].vectors, catalog[2].attrs);
    const started = performance.now();
    await idx.whenCompacted();
    const tookMs = performance.now() - started;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(longestGap).toBeLessThan(Math.max(60, tookMs / 3));

    const s = idx.stats();
    expect(s.size).toBe(1500 - 301 - 2 + 1);
    expect(s.deleted).toBeLessThanOrEqual(4); // at most the copies made stale meanwhile
    for (const gone of [catalog[301], catalog[1400]]) {
      expect(idx.has(gone.id)).toBe(false);
      expect(idx.searchByVectors(gone.vectors, { k: 5 }).some((h) => h.id === gone.id)).toBe(false);
    }
    // 302 and 1401 now carry the vectors of products 1 and 3 (both removed), "added" product 2's.
    expect(idx.searchByVectors(catalog[1].vectors, { k: 1 })[0].id).toBe(catalog[302].id);
    expect(idx.searchByVectors(catalog[3].vectors, { k: 1 })[0].id).toBe(catalog[1401].id);
    expect(idx.searchByVectors(catalog[2].vectors, { k: 1 })[0].id).toBe("added");
    // Every other live product is still found as its own nearest neighbour.
    for (let i = 600; i < 1400; i += 37) expect(idx.searchByVectors(catalog[i].vectors, { k: 1 })[0].id).toBe(catalog[i].id);
  }, 60_000);

  it("round-trips with identical results, including deletions", async () => {
    const idx = build(products, { initialCapacity: 1024 });
    for (let i = 0; i < 50; i++) idx.remove(products[i].id);
    const target = path.join(dir, "shop-a");
    await idx.save(target);
    const loaded = await ShopVectorIndex.load(target);
    expect(loaded).not.toBeNull();
    expect(loaded!.size).toBe(idx.size);
    expect(loaded!.stats()).toEqual(idx.stats());
    expect(loaded!.attributes(products[60].id)).toEqual(products[60].attrs);
    for (let i = 0; i < 20; i++) {
      const q = syntheticQuery(products[i * 13].vectors, i);
      for (const filter of [undefined, { tags: ["p10"] }, { tags: ["p50"] }, { minPrice: 30, maxPrice: 70 }]) {
        expect(loaded!.searchByVectors(q, { k: 10, filter })).toEqual(idx.searchByVectors(q, { k: 10, filter }));
      }
      expect(loaded!.searchByProduct(products[100 + i].id, { k: 10 })).toEqual(idx.searchByProduct(products[100 + i].id, { k: 10 }));
    }
    // loaded index stays mutable
    loaded!.upsert("x", products[0].vectors, products[0].attrs);
    expect(loaded!.searchByVectors(products[0].vectors, { k: 1 })[0].id).toBe("x");

    // a second save replaces the previous generation's files
    await idx.save(target);
    const files = await readdir(target);
    expect(files.filter((f) => f.startsWith("index-"))).toHaveLength(1);
    expect(files.some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("returns null for missing, truncated or garbage files", async () => {
    expect(await ShopVectorIndex.load(path.join(dir, "missing"))).toBeNull();

    const idx = build(products.slice(0, 100), { initialCapacity: 128 });
    const save = async (name: string) => {
      const d = path.join(dir, name);
      await idx.save(d);
      const manifest = JSON.parse(await readFile(path.join(d, "manifest.json"), "utf8"));
      return { d, manifest };
    };

    const a = await save("truncated");
    await truncate(path.join(a.d, a.manifest.files.index.name), 1000);
    expect(await ShopVectorIndex.load(a.d)).toBeNull();

    const b = await save("garbage-index");
    const size = a.manifest.files.index.size as number;
    await writeFile(path.join(b.d, b.manifest.files.index.name), Buffer.alloc(size, 0xab));
    expect(await ShopVectorIndex.load(b.d)).toBeNull();

    const c = await save("garbage-manifest");
    await writeFile(path.join(c.d, "manifest.json"), "{not json");
    expect(await ShopVectorIndex.load(c.d)).toBeNull();

    const e = await save("garbage-meta");
    await writeFile(path.join(e.d, e.manifest.files.meta.name), "[]");
    expect(await ShopVectorIndex.load(e.d)).toBeNull();

    const f = await save("ok");
    expect(await ShopVectorIndex.load(f.d)).not.toBeNull();
  });

  /** Replaces a saved snapshot's meta file with `text`, manifest updated (size and checksum match). */
  async function rewriteMeta(d: string, edit: (lines: string[]) => string): Promise<void> {
    const manifest = JSON.parse(await readFile(path.join(d, "manifest.json"), "utf8"));
    const metaPath = path.join(d, manifest.files.meta.name);
    const text = edit((await readFile(metaPath, "utf8")).split("\n").filter(Boolean));
    await writeFile(metaPath, text);
    manifest.files.meta.size = Buffer.byteLength(text);
    manifest.files.meta.sha256 = createHash("sha256").update(text).digest("hex");
    await writeFile(path.join(d, "manifest.json"), JSON.stringify(manifest));
  }

  it("a filtered search sees an attribute change, an addition and a removal made after the previous filtered search", () => {
    const idx = build(products.slice(0, 600), { initialCapacity: 1024 });
    const q = products[10].vectors;
    const band = { minPrice: 1_000, maxPrice: 2_000 }; // no synthetic product costs that much
    expect(idx.searchByVectors(q, { k: 5, filter: band })).toEqual([]);
    idx.upsert(products[10].id, products[10].vectors, { ...products[10].attrs, price: 1_500 }); // attributes only
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual([products[10].id]);
    idx.upsert("new", products[11].vectors, { ...products[11].attrs, price: 1_200, tags: ["fresh"] });
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id).sort()).toEqual(["new", products[10].id].sort());
    expect(idx.searchByVectors(q, { k: 5, filter: { tags: ["FRESH"] } }).map((h) => h.id)).toEqual(["new"]);
    idx.remove(products[10].id);
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual(["new"]);
    idx.compact();
    expect(idx.searchByVectors(q, { k: 5, filter: band }).map((h) => h.id)).toEqual(["new"]);
  });

  it("returns every match when a filter planned on a sampled estimate matches fewer than k", () => {
    // Forced: every filter is planned on its sample (nothing checked up front), even a rare one.
    const idx = build(products.slice(0, 600), { initialCapacity: 1024, planner: { verifyMaxCandidates: 0, estimateMinSelectivity: 0, exactScanMaxMatches: 0 } });
    const rare = products.slice(0, 600).filter((p) => p.attrs.tags.includes("p1"));
    expect(rare.length).toBeGreaterThan(0);
    expect(rare.length).toBeLessThan(20);
    const hits = idx.searchByVectors(products[0].vectors, { k: 20, filter: { tags: ["p1"] } });
    expect(hits.map((h) => h.id).sort()).toEqual(rare.map((p) => p.id).sort());
    expect(idx.lastPlan).toBe("exact-fallback");
  });

  it("plans with this release's planner after a load, not with the one of the process that saved", async () => {
    const lowSelectivity = { tags: ["p1"] };
    const saved = build(products, { initialCapacity: 1024, planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0 } });
    saved.searchByVectors(products[0].vectors, { k: 10, filter: lowSelectivity });
    expect(saved.lastPlan).toBe("filtered-hnsw");
    const target = path.join(dir, "planner-not-pinned");
    await saved.save(target);
    // A snapshot of an earlier release carried its planner in the meta's head: ignored too.
    await rewriteMeta(target, ([head, ...pieces]) =>
      [JSON.stringify({ ...JSON.parse(head), planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0, unfilteredEfBySize: [{ maxLive: null, ef: 512 }] } }), ...pieces].join("\n") + "\n",
    );
    const loaded = (await ShopVectorIndex.load(target))!;
    loaded.searchByVectors(products[0].vectors, { k: 10, filter: lowSelectivity });
    expect(loaded.lastPlan).toBe("exact");
    const custom = (await ShopVectorIndex.load(target, { planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0 } }))!;
    custom.searchByVectors(products[0].vectors, { k: 10, filter: lowSelectivity });
    expect(custom.lastPlan).toBe("filtered-hnsw");
  });

  it("reads the previous release's meta (one JSON document) with the same results, and refuses a meta missing a piece", async () => {
    const idx = build(products, { initialCapacity: 1024 }); // 800 products: two pieces of rows
    for (let i = 0; i < 30; i++) idx.remove(products[i].id);
    const legacy = path.join(dir, "legacy-meta");
    await idx.save(legacy);
    await rewriteMeta(legacy, ([head, ...pieces]) => {
      expect(pieces.length).toBeGreaterThan(1);
      const rows = pieces.flatMap((line) => JSON.parse(line));
      return JSON.stringify({ ...JSON.parse(head), version: 1, products: rows });
    });
    const loaded = await ShopVectorIndex.load(legacy);
    expect(loaded).not.toBeNull();
    expect(loaded!.size).toBe(770);
    expect(loaded!.stats()).toEqual(idx.stats());
    for (let i = 0; i < 10; i++) {
      const q = syntheticQuery(products[i * 31].vectors, i);
      expect(loaded!.searchByVectors(q, { k: 10, filter: { tags: ["p10"] } })).toEqual(idx.searchByVectors(q, { k: 10, filter: { tags: ["p10"] } }));
    }

    const short = path.join(dir, "meta-missing-piece");
    await idx.save(short);
    await rewriteMeta(short, ([head, ...pieces]) => [head, ...pieces.slice(1)].join("\n"));
    expect(await ShopVectorIndex.load(short)).toBeNull();

    const doubled = path.join(dir, "meta-doubled-piece");
    await idx.save(doubled);
    await rewriteMeta(doubled, ([head, ...pieces]) => [head, pieces[0], ...pieces].join("\n"));
    expect(await ShopVectorIndex.load(doubled)).toBeNull();
  });

  it("writes in the background: searches run meanwhile, a change waits for the write and is in the next snapshot", async () => {
    // Full to capacity: the late upsert also resizes the native index (it would free memory the writer reads).
    const idx = build(products.slice(0, 300), { initialCapacity: 300 });
    const queries = [0, 7, 42].map((i) => syntheticQuery(products[i].vectors, 100 + i));
    const atStart = { ids: [...idx.ids()].sort(), hits: queries.map((q) => idx.searchByVectors(q, { k: 10 })), stats: idx.stats() };
    const late = products[400];

    const first = path.join(dir, "background-1");
    const saving = idx.save(first);
    for (let i = 0; i < 100 && !idx.busy; i++) await Promise.resolve(); // the save starts on a microtask
    expect(idx.busy).toBe(true);
    expect(idx.searchByVectors(queries[0], { k: 10 })).toEqual(atStart.hits[0]);
    expect(() => idx.upsert("late", late.vectors, late.attrs)).toThrow(/whenWritable/);
    expect(() => idx.remove(products[1].id)).toThrow(/whenWritable/);
    expect(() => idx.compact()).toThrow(/whenWritable/);
    expect(idx.size).toBe(300);

    const change = idx.whenWritable().then(() => {
      expect(idx.busy).toBe(false);
      idx.upsert("late", late.vectors, late.attrs);
      idx.remove(products[1].id);
    });
    await Promise.all([saving, change]);
    expect(idx.has("late")).toBe(true);
    expect(idx.stats().capacity).toBe(600);

    // The snapshot is the state the save started from: same ids, statistics and answers.
    const snap = await ShopVectorIndex.load(first);
    expect(snap).not.toBeNull();
    expect([...snap!.ids()].sort()).toEqual(atStart.ids);
    expect(snap!.stats()).toEqual(atStart.stats);
    queries.forEach((q, i) => expect(snap!.searchByVectors(q, { k: 10 })).toEqual(atStart.hits[i]));

    // The next one has the change.
    const second = path.join(dir, "background-2");
    await idx.save(second);
    const next = await ShopVectorIndex.load(second);
    expect(next!.has("late")).toBe(true);
    expect(next!.has(products[1].id)).toBe(false);
    expect(next!.stats()).toEqual(idx.stats());
    expect(next!.searchByVectors(late.vectors, { k: 1 })[0].id).toBe("late");
    queries.forEach((q) => expect(next!.searchByVectors(q, { k: 10 })).toEqual(idx.searchByVectors(q, { k: 10 })));
  });

  it("serialises concurrent saves", async () => {
    const idx = build(products.slice(0, 50), { initialCapacity: 64 });
    const d = path.join(dir, "concurrent");
    await Promise.all([idx.save(d), idx.save(d), idx.save(d)]);
    const loaded = await ShopVectorIndex.load(d);
    expect(loaded?.size).toBe(50);
    expect((await readdir(d)).filter((x) => x.startsWith("index-"))).toHaveLength(1);
  });
});

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
