import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticCatalog, syntheticQuery, type SyntheticProduct } from "../../scripts/lib/synthetic-catalog";
import { build, dims } from "../../test/support/shop-vector-index";
import { seededRandom } from "../shared/seeded-random";
import { ProductImageIndex } from "./product-image-index.server";
import { ShopVectorIndex } from "./shop-vector-index.server";
import { fitProjection } from "./vector-projection";

/** The synthetic catalog's image and text vectors pushed into subspaces of dimension 12 and 8. */
function inSubspaces(products: SyntheticProduct[]): SyntheticProduct[] {
  const rand = seededRandom(11);
  const basis = (rank: number, d: number) => Array.from({ length: rank }, () => Float32Array.from({ length: d }, () => rand() - 0.5));
  const squash = (v: Float32Array | undefined, b: Float32Array[]) => {
    if (!v) return v;
    const out = new Float32Array(v.length);
    b.forEach((u, k) => {
      const c = v[k];
      for (let i = 0; i < out.length; i++) out[i] += c * u[i];
    });
    const n = Math.hypot(...out);
    return out.map((x) => x / n);
  };
  const image = basis(12, dims.image);
  const text = basis(8, dims.text);
  return products.map((p) => ({ ...p, vectors: { ...p.vectors, image: squash(p.vectors.image, image), text: squash(p.vectors.text, text) } }));
}

describe("an index that stores its channels projected", () => {
  const products = inSubspaces(syntheticCatalog({ n: 600, dims, clusters: 10, seed: 5 }));
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lookalike-projected-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function projectedIndex() {
    const image = (await fitProjection(
      products.map((p) => p.vectors.image!),
      16,
    ))!;
    const text = (await fitProjection(
      products.flatMap((p) => (p.vectors.text ? [p.vectors.text] : [])),
      12,
    ))!;
    return build(products, { projections: { image, text } });
  }

  it("ranks a catalog inside the learned subspace as the unprojected index does, in a third of the memory", async () => {
    const plain = build(products);
    const projected = await projectedIndex();
    expect(projected.dims).toEqual(dims); // what it takes
    expect(projected.storedDims).toEqual({ image: 16, color: dims.color, text: 12 }); // what it holds
    for (let i = 0; i < 30; i++) {
      const ids = (hits: { id: string }[]) => hits.map((h) => h.id);
      expect(ids(projected.searchByProduct(products[i * 7].id, { k: 10 }))).toEqual(ids(plain.searchByProduct(products[i * 7].id, { k: 10 })));
      // A query outside the subspace scores every product by its part inside it: the same ranking.
      const q = syntheticQuery(products[i * 11].vectors, i);
      const a = projected.searchByVectors(q, { k: 10, filter: { tags: ["p50"] } });
      const b = plain.searchByVectors(q, { k: 10, filter: { tags: ["p50"] } });
      expect(ids(a)).toEqual(ids(b));
      a.forEach((h, j) => expect(h.score).toBeCloseTo(b[j].score, 4));
    }
    const vectorBytes = (ix: ShopVectorIndex) => ix.stats().dim * 4;
    expect(vectorBytes(projected) / vectorBytes(plain)).toBeLessThan(0.6);
  });

  it("keeps its projections through a save and a load, and refuses a meta that does not fit them", async () => {
    const projected = await projectedIndex();
    const target = path.join(dir, "shop");
    await projected.save(target);
    const loaded = (await ShopVectorIndex.load(target))!;
    expect(loaded.storedDims).toEqual(projected.storedDims);
    expect(loaded.projections.image!.basis).toEqual(projected.projections.image!.basis);
    for (let i = 0; i < 10; i++) {
      const q = syntheticQuery(products[i * 13].vectors, 100 + i);
      expect(loaded.searchByVectors(q, { k: 10 })).toEqual(projected.searchByVectors(q, { k: 10 }));
    }
    // New products are stored through the loaded projection.
    loaded.upsert("new", products[3].vectors, products[3].attrs);
    expect(loaded.searchByProduct("new", { k: 1 })[0].id).toBe(products[3].id);

    // A meta naming an output dimension the input cannot have is refused, not served.
    const meta = (await readdir(target)).find((f) => f.startsWith("meta-"))!;
    const raw = await readFile(path.join(target, meta), "utf8");
    const [head, ...rest] = raw.split("\n");
    const bad = JSON.stringify({ ...JSON.parse(head), projected: { image: dims.image + 1 } });
    const copy = path.join(dir, "bad");
    await projected.save(copy);
    const badMeta = (await readdir(copy)).find((f) => f.startsWith("meta-"))!;
    await writeFile(path.join(copy, badMeta), [bad, ...rest].join("\n"));
    expect(await ShopVectorIndex.load(copy)).toBeNull();
  });

  it("stores a shop's photos projected and finds a photo's product by it", async () => {
    const photos = products.map((p) => p.vectors.image!);
    const projection = (await fitProjection(photos, 16))!;
    const images = ProductImageIndex.create(dims.image, 1024, undefined, projection);
    products.forEach((p) => images.setProduct(p.id, [p.vectors.image!], p.attrs));
    expect(images.dim).toBe(dims.image);
    expect(images.projection).toBe(projection);
    for (let i = 0; i < 20; i++) expect(images.search(products[i * 17].vectors.image!, { k: 1 })[0].id).toBe(products[i * 17].id);
    await images.save(path.join(dir, "images"));
    const loaded = (await ProductImageIndex.load(path.join(dir, "images")))!;
    expect(loaded.projection!.outDim).toBe(16);
    expect(loaded.search(products[5].vectors.image!, { k: 3 })).toEqual(images.search(products[5].vectors.image!, { k: 3 }));
  });
});
