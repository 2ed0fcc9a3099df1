import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShopVectorIndex } from "./shop-vector-index.server";
import { syntheticCatalog, syntheticQuery } from "../../scripts/lib/synthetic-catalog";
import { build, dims } from "../../test/support/shop-vector-index";

describe("ShopVectorIndex persistence", () => {
  const products = syntheticCatalog({ n: 800, dims, clusters: 12, seed: 3 });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lookalike-index-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

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
    manifest.files.meta.crc32 = crc32(text);
    await writeFile(path.join(d, "manifest.json"), JSON.stringify(manifest));
  }

  it("plans with this release's planner after a load, not with the one of the process that saved", async () => {
    const lowSelectivity = { tags: ["p1"] };
    const saved = build(products, { initialCapacity: 1024, planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0 } });
    saved.searchByVectors(products[0].vectors, { k: 10, filter: lowSelectivity });
    expect(saved.lastPlan).toBe("filtered-hnsw");
    const target = path.join(dir, "planner-not-pinned");
    await saved.save(target);
    // A snapshot of an earlier release carried its planner in the meta's head: ignored too.
    await rewriteMeta(
      target,
      ([head, ...pieces]) =>
        [
          JSON.stringify({ ...JSON.parse(head), planner: { exactScanMaxMatches: 0, exactScanMaxSelectivity: 0, unfilteredEfBySize: [{ maxLive: null, ef: 512 }] } }),
          ...pieces,
        ].join("\n") + "\n",
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
