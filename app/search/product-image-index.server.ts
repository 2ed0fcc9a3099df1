/**
 * Per-photo image index of one shop: every stored photo of a product is its own point (image
 * channel only), and a search ranks products by their **best** photo (max cosine), deduplicated by
 * product. The photo search uses it: a shopper's photo looks like one of a product's photos, not
 * like their average.
 *
 * Built on ShopVectorIndex (hnswlib + int8 pre-scoring, planner, filters, persistence) with one
 * point per photo, id `<productId>#<n>`, each carrying its product's attributes. A product has at
 * most `maxPhotos` points, so asking the point index for k·maxPhotos points always yields at least
 * min(k, matching products) distinct products; filters apply per point (a product's points share
 * its attributes) and `excludeIds` is translated to point ids.
 */
import { yielder } from "../shared/event-loop-turns";
import type { ProductAttributes, ProductFilter } from "./filters";
import type { Projection } from "./vector-projection";
import { MAX_K, ShopVectorIndex, type GraphParams, type SearchHit, type ShopVectorIndexStats } from "./shop-vector-index.server";

const SEP = "#";
/** How long a load runs before it hands the event loop back. */
const LOAD_YIELD_EVERY_MS = 8;

export interface ProductImageSearchOptions {
  k: number;
  filter?: ProductFilter;
}

export class ProductImageIndex {
  /** product id → number of its points */
  private readonly photoCount = new Map<string, number>();
  /** Upper bound of any product's point count (only grows; keeps the k·maxPhotos guarantee). */
  private maxPhotos = 1;

  private constructor(private readonly points: ShopVectorIndex) {}

  /** `projection`: photos stored projected (the shop's learned projection of its photos, vector-projection.ts). */
  static create(dim: number, initialCapacity?: number, graph?: GraphParams, projection?: Projection): ProductImageIndex {
    return new ProductImageIndex(
      new ShopVectorIndex({
        dims: { image: dim, color: 0, text: 0 },
        weights: { image: 1, color: 0, text: 0 },
        projections: projection ? { image: projection } : {},
        initialCapacity,
        neighbours: false,
        ...graph,
      }),
    );
  }

  /** The learned projection the photos are stored through, if any. */
  get projection(): Projection | undefined {
    return this.points.projections.image;
  }

  /** The points index's graph density. */
  get graph(): GraphParams {
    return this.points.graph;
  }

  get dim(): number {
    return this.points.dims.image;
  }

  /** Products indexed. */
  get size(): number {
    return this.photoCount.size;
  }

  /** Photos (points) indexed. */
  get photos(): number {
    return this.points.size;
  }

  productIds(): IterableIterator<string> {
    return this.photoCount.keys();
  }

  has(productId: string): boolean {
    return this.photoCount.has(productId);
  }

  /** True while a save writes the points index in the background: setProduct/removeProduct throw until `whenWritable()`. */
  get busy(): boolean {
    return this.points.busy;
  }

  whenWritable(): Promise<void> {
    return this.points.whenWritable();
  }

  /** Sets a product's photos (L2-normalised image vectors); an empty list removes the product. */
  setProduct(productId: string, vectors: Float32Array[], attrs: ProductAttributes): void {
    if (productId.length === 0) throw new TypeError("productId must be a non-empty string");
    if (this.busy) throw new Error("ProductImageIndex: changed while a save is writing it (await whenWritable() first)");
    const before = this.photoCount.get(productId) ?? 0;
    vectors.forEach((v, i) => this.points.upsert(pointId(productId, i), { image: v }, attrs));
    for (let i = vectors.length; i < before; i++) this.points.remove(pointId(productId, i));
    if (vectors.length === 0) this.photoCount.delete(productId);
    else this.photoCount.set(productId, vectors.length);
    this.maxPhotos = Math.max(this.maxPhotos, vectors.length);
  }

  removeProduct(productId: string): boolean {
    if (this.busy) throw new Error("ProductImageIndex: changed while a save is writing it (await whenWritable() first)");
    const n = this.photoCount.get(productId);
    if (n === undefined) return false;
    for (let i = 0; i < n; i++) this.points.remove(pointId(productId, i));
    this.photoCount.delete(productId);
    return true;
  }

  /**
   * Products ranked by their best photo's cosine with `query` (scaled as given: a query scaled by p
   * scores p·cos). `contributions.image` is that score; `photo` is the best photo's index among the
   * product's photos (the order they were set in). Returns min(k, matching products) hits.
   */
  search(query: Float32Array, opts: ProductImageSearchOptions): SearchHit[] {
    const { k } = opts;
    if (!Number.isInteger(k) || k < 0 || k > MAX_K) throw new RangeError(`k must be an integer in [0, ${MAX_K}]`);
    if (k === 0 || this.size === 0) return [];
    const filter = opts.filter?.excludeIds?.length ? { ...opts.filter, excludeIds: this.excludedPoints(opts.filter.excludeIds) } : opts.filter;
    const kPoints = Math.min(MAX_K, k * this.maxPhotos, this.points.size);
    const best = new Map<string, SearchHit>();
    // One channel: hnswlib's own inner product is the score, so the exact re-score (one getPoint
    // per point, ~0.1 ms at 1,280-d) is skipped.
    for (const hit of this.points.searchByVectors({ image: query }, { k: kPoints, filter, contributions: false })) {
      const sep = hit.id.lastIndexOf(SEP);
      const product = hit.id.slice(0, sep);
      // Hits come best first: the first one of a product is its best photo.
      if (!best.has(product)) best.set(product, { id: product, score: hit.score, contributions: { image: hit.score, color: 0, text: 0 }, photo: Number(hit.id.slice(sep + 1)) });
    }
    return [...best.values()].slice(0, k);
  }

  private excludedPoints(ids: string[]): string[] {
    const out: string[] = [];
    for (const id of ids) for (let i = 0; i < (this.photoCount.get(id) ?? 0); i++) out.push(pointId(id, i));
    return out;
  }

  stats(): ShopVectorIndexStats {
    return this.points.stats();
  }

  save(dir: string): Promise<void> {
    return this.points.save(dir);
  }

  /** Loads a saved index; null when missing or corrupt. */
  static async load(dir: string): Promise<ProductImageIndex | null> {
    const points = await ShopVectorIndex.load(dir, { neighbours: false });
    if (!points) return null;
    const index = new ProductImageIndex(points);
    const pause = yielder(LOAD_YIELD_EVERY_MS); // 40k photos: ~10 ms of counting
    for (const id of points.ids()) {
      await pause();
      const product = productOf(id);
      const n = (index.photoCount.get(product) ?? 0) + 1;
      index.photoCount.set(product, n);
      index.maxPhotos = Math.max(index.maxPhotos, n);
    }
    return index;
  }
}

function pointId(productId: string, n: number): string {
  return `${productId}${SEP}${n}`;
}

function productOf(pointId: string): string {
  return pointId.slice(0, pointId.lastIndexOf(SEP));
}
