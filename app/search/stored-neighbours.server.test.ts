/**
 * By-product searches answered from stored neighbour lists (issue 20): the same answers as a search
 * of the index, never a removed or changed product, kept through changes, compaction and snapshots.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProductFilter } from "./filters";
import { ShopVectorIndex, storedListCounts, type SearchHit } from "./shop-vector-index.server";
import { syntheticCatalog } from "../../scripts/lib/synthetic-catalog";
import { build, bruteForce } from "../../test/support/shop-vector-index";

const products = syntheticCatalog({ n: 3000, dims: { image: 48, color: 12, text: 24 }, clusters: 30, seed: 11, missingTextFraction: 0.1 });
const byId = new Map(products.map((p) => [p.id, p]));
const ids = (hits: SearchHit[]) => hits.map((h) => h.id);

function overlap(a: SearchHit[], b: SearchHit[]): number {
  const got = new Set(ids(a));
  return b.length ? b.filter((h) => got.has(h.id)).length / b.length : 1;
}

describe("stored neighbour lists", () => {
  let idx: ShopVectorIndex;
  const dirs: string[] = [];
  beforeAll(async () => {
    idx = build(products);
    expect(idx.neighboursPending).toBe(products.length); // made in the background, not in upsert
    await idx.whenNeighboursMade();
    expect(idx.neighboursPending).toBe(0);
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("answer like a search of the index, with and without filters, without searching", () => {
    const filters: (ProductFilter | undefined)[] = [undefined, { available: true }, { maxPrice: 150 }, { excludeIds: [products[5].id] }];
    let sum = 0;
    let n = 0;
    for (let i = 0; i < 200; i++) {
      const id = products[(i * 13) % products.length].id;
      for (const filter of filters) {
        const before = storedListCounts.answered;
        const stored = idx.searchByProduct(id, { k: 12, filter, contributions: false, stored: true });
        const searched = idx.searchByProduct(id, { k: 12, filter, contributions: false });
        if (storedListCounts.answered === before) continue; // not enough in the list: it searched
        expect(stored).toHaveLength(12);
        expect(ids(stored)).not.toContain(id);
        sum += overlap(stored, searched);
        n++;
        // Exact answer (brute force) as the reference too: the list is no worse than the search.
        const exact = bruteForce(products, byId.get(id)!.vectors, 12, filter, id);
        expect(overlap(stored, exact as SearchHit[])).toBeGreaterThanOrEqual(overlap(searched, exact as SearchHit[]) - 0.1);
      }
    }
    expect(n).toBeGreaterThan(500); // most of them came from the lists
    expect(sum / n).toBeGreaterThanOrEqual(0.99);
  });

  it("hold enough for the largest page a merchant can choose (24 results + 12 spare candidates)", () => {
    const id = products[9].id;
    const stored = idx.storedNeighbours(id, { k: 36 });
    expect(stored).toHaveLength(36);
    expect(overlap(stored!, idx.searchByProduct(id, { k: 36, contributions: false }))).toBeGreaterThanOrEqual(0.97);
  });

  it("a filter the list cannot satisfy searches the index instead, and still returns k", () => {
    const id = products[1].id;
    // Every product of the list excluded: it cannot tell what comes next.
    const rare: ProductFilter = { excludeIds: ids(idx.searchByProduct(id, { k: 40, contributions: false })) };
    const before = storedListCounts.searched;
    const hits = idx.searchByProduct(id, { k: 10, filter: rare, contributions: false, stored: true });
    expect(storedListCounts.searched).toBe(before + 1);
    expect(hits).toEqual(idx.searchByProduct(id, { k: 10, filter: rare, contributions: false }));
  });

  it("never serves a removed or changed product, and a new product enters the lists it belongs in", async () => {
    const idx2 = build(products.slice(0, 1500));
    await idx2.whenNeighboursMade();
    const target = products[40];
    const near = idx2.searchByProduct(target.id, { k: 5, contributions: false, stored: true });
    const [removed, changed] = [near[0].id, near[1].id];
    idx2.remove(removed);
    // Moved far away: a new vector, a new label; the old entry must not be served with its old score.
    const far = products.find((p) => p.attrs.productType !== target.attrs.productType && !near.some((h) => h.id === p.id) && byId.has(p.id))!;
    idx2.upsert(changed, far.vectors, byId.get(changed)!.attrs);
    const after = idx2.searchByProduct(target.id, { k: 5, contributions: false, stored: true });
    expect(ids(after)).not.toContain(removed);
    for (const h of after) if (h.id === changed) expect(h.score).toBeCloseTo(idx2.searchByProduct(target.id, { k: 50 }).find((x) => x.id === changed)!.score, 4);
    // A twin of the target added later is its best match once its list is made.
    idx2.upsert("twin", target.vectors, target.attrs);
    await idx2.whenNeighboursMade();
    expect(idx2.searchByProduct(target.id, { k: 5, contributions: false, stored: true })[0].id).toBe("twin");
    expect(ids(idx2.searchByProduct(target.id, { k: 5, contributions: false, stored: true }))).toEqual(ids(idx2.searchByProduct(target.id, { k: 5, contributions: false })));
  });

  it("lists follow a compaction's new labels", async () => {
    const idx3 = build(products.slice(0, 800));
    await idx3.whenNeighboursMade();
    for (let i = 0; i < 300; i++) idx3.remove(products[i].id);
    await idx3.whenCompacted();
    idx3.compact();
    await idx3.whenNeighboursMade();
    for (let i = 300; i < 800; i += 37) {
      const id = products[i].id;
      const stored = idx3.searchByProduct(id, { k: 8, contributions: false, stored: true });
      expect(stored.every((h) => !products.slice(0, 300).some((p) => p.id === h.id))).toBe(true);
      expect(overlap(stored, idx3.searchByProduct(id, { k: 8, contributions: false }))).toBeGreaterThanOrEqual(0.875);
    }
  });

  it("are saved with the snapshot; a snapshot from before the lists is served and its lists made in the background", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-lists-"));
    dirs.push(dir);
    await idx.save(dir);
    const loaded = (await ShopVectorIndex.load(dir))!;
    expect(loaded.neighboursPending).toBe(0);
    const id = products[77].id;
    const before = storedListCounts.answered;
    expect(loaded.searchByProduct(id, { k: 10, contributions: false, stored: true })).toEqual(idx.searchByProduct(id, { k: 10, contributions: false, stored: true }));
    expect(storedListCounts.answered).toBe(before + 2);

    // The previous format: no neighbourSlots in the meta head and no lists after the int8 store.
    const old = mkdtempSync(path.join(os.tmpdir(), "lookalike-lists-old-"));
    dirs.push(old);
    await idx.save(old);
    const manifestPath = path.join(old, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const metaFile = path.join(old, manifest.files.meta.name);
    const lines = readFileSync(metaFile, "utf8").split("\n");
    const head = JSON.parse(lines[0]);
    const slots = head.neighbourSlots as number;
    delete head.neighbourSlots;
    lines[0] = JSON.stringify(head);
    writeFileSync(metaFile, lines.join("\n"));
    const quantFile = path.join(old, manifest.files.quant.name);
    const quant = readFileSync(quantFile);
    const rows = head.nextLabel as number;
    writeFileSync(quantFile, quant.subarray(0, quant.length - rows * (1 + 8 * slots)));
    const { createHash } = await import("node:crypto");
    const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
    manifest.files.meta = { ...manifest.files.meta, size: readFileSync(metaFile).length, sha256: sha(metaFile) };
    manifest.files.quant = { ...manifest.files.quant, size: readFileSync(quantFile).length, sha256: sha(quantFile) };
    for (const f of Object.values(manifest.files) as { crc32?: number }[]) delete f.crc32; // that release wrote SHA-256 only
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(readdirSync(old)).toContain("manifest.json");

    const upgraded = (await ShopVectorIndex.load(old))!;
    expect(upgraded).not.toBeNull();
    expect(upgraded.neighboursPending).toBe(idx.size);
    // Served at once (by searching), lists made in the background.
    expect(upgraded.searchByProduct(id, { k: 10, contributions: false, stored: true })).toHaveLength(10);
    await upgraded.whenNeighboursMade();
    expect(upgraded.neighboursPending).toBe(0);
    expect(ids(upgraded.searchByProduct(id, { k: 10, contributions: false, stored: true }))).toEqual(ids(idx.searchByProduct(id, { k: 10, contributions: false, stored: true })));
  });

  it("an index without lists (the per-photo index) keeps none and searches", () => {
    const bare = build(products.slice(0, 300), { neighbours: false });
    expect(bare.neighboursPending).toBe(0);
    expect(bare.stats().memory.neighbourBytes).toBe(0);
    const before = storedListCounts.searched;
    expect(bare.searchByProduct(products[0].id, { k: 5, contributions: false, stored: true })).toHaveLength(5);
    expect(storedListCounts.searched).toBe(before + 1);
  });

  it("a retired index stops making lists", async () => {
    const idx4 = build(products.slice(0, 500));
    idx4.retire();
    await idx4.whenNeighboursMade();
    expect(idx4.neighboursPending).toBeGreaterThan(0);
    expect(idx4.searchByProduct(products[0].id, { k: 5, contributions: false, stored: true })).toHaveLength(5);
  });
});
