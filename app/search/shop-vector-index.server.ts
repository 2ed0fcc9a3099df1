/**
 * One in-memory HNSW index per shop over the combined channel vector
 * (see ./combined-vector.ts): the inner product of two combined vectors is the
 * blended score w_image·cos_image + w_color·cos_color + w_text·cos_text, and
 * each segment's dot is that channel's contribution ("why it matched").
 *
 * Concurrency: every public method is a synchronous call into the native
 * index on the JS thread, so searches and mutations of one ShopVectorIndex never
 * run concurrently with each other. The one exception is `save`: it writes the
 * native index with hnswlib's asynchronous writeIndex (a libuv thread-pool
 * thread reads the graph; a 20k × 1,844-d index took ~100–270 ms, which
 * writeIndexSync spent blocking the event loop) and the int8 store straight from
 * its arrays. While that write is in flight (`busy`), searches are fine (they
 * only read, as the writer does) but mutations — upsert, remove, compact, and
 * the resize an upsert may do — throw: one would tear the file or, on a
 * resize, free memory the writer is reading. Whoever mutates awaits
 * `whenWritable()` first, with no await between it and the mutation
 * (LiveCatalogs does). Do not move other calls to worker threads without
 * adding locking.
 *
 * Labels are assigned sequentially and never reused; deleted labels are only
 * marked (markDelete); a replaced product gets a new label. When marked-deleted
 * elements exceed 20% of capacity the index is compacted in the background
 * (rebuilt from the stored points with fresh labels, a few ms at a time, while it
 * serves and changes; compactInBackground).
 * When full, capacity doubles (resizeIndex).
 *
 * Cost note: `getPoint` returns one JS Number per dimension (~130 µs at 1,840-d),
 * so it is used only for the query of a by-product search and for the final
 * re-scoring of an exact scan; an HNSW hit's score is hnswlib's own distance and
 * its per-channel split comes from the int8 copy (see scoreFromDistances). A compaction
 * costs an insert per live product (~5 ms at 1,844-d and M 24): an explicit compact() blocks for
 * all of it, the automatic one runs in slices.
 */
import hnswlib from "hnswlib-node";
import type { HierarchicalNSW as NativeIndex } from "hnswlib-node";
import {
  CHANNELS,
  combine,
  makeLayout,
  segmentDots,
  type ChannelDims,
  type ChannelVectors,
  type ChannelWeights,
  type Layout,
} from "./combined-vector";
import { nextTurn, yielder } from "../shared/event-loop-turns";
import { jsonLines } from "../shared/json-lines";
import { normalizeAttributes, type NormalizedAttributes, type ProductAttributes, type ProductFilter } from "./filters";
import { readSnapshot, writeSnapshot } from "./index-persistence.server";
import { AttributePostings } from "./attribute-postings";
import { QuantizedStore } from "./quantized-store";
import { DEFAULT_PLANNER_CONFIG, planCounts, planSearch, type PlannerConfig, type SearchPlan } from "./search-planner";

export type { ChannelDims, ChannelVectors, ChannelWeights } from "./combined-vector";

export interface SearchOptions {
  k: number;
  filter?: ProductFilter;
  efSearch?: number;
  /**
   * Per-channel contributions (default true). False skips the exact re-score
   * (one `getPoint` per hit, ~0.1 ms at 1,844-d) on HNSW plans: the score is
   * then hnswlib's own inner product (1 − distance), contributions are zeros.
   */
  contributions?: boolean;
}

export interface SearchHit {
  id: string;
  score: number;
  contributions: { image: number; color: number; text: number };
}

export interface ShopVectorIndexOptions {
  dims: ChannelDims;
  weights: ChannelWeights;
  M?: number;
  efConstruction?: number;
  initialCapacity?: number;
  /** Planner thresholds (exact-scan cut-offs, ef bounds). */
  planner?: Partial<PlannerConfig>;
}

export interface ShopVectorIndexStats {
  size: number;
  deleted: number;
  capacity: number;
  dim: number;
  M: number;
  efConstruction: number;
  /** live products × dim × 4 (float32 vectors alone) */
  rawVectorBytes: number;
  /**
   * Estimates. `hnswBytes`/`quantizedBytes`/`totalBytes` cover the allocated
   * capacity; `usedBytes` only the slots in use (≈ what is resident).
   */
  memory: { hnswBytes: number; quantizedBytes: number; attributesBytes: number; totalBytes: number; usedBytes: number };
}

/** HNSW graph density: links per node and the candidate list's size while inserting. */
export interface GraphParams {
  M: number;
  efConstruction: number;
}

/** Plan kind used by the last search (exposed for tests and benchmarks). */
export type ExecutedPlan = SearchPlan["kind"] | "exact-fallback";

export const MAX_K = 1_000;
const COMPACT_DELETED_FRACTION = 0.2;
/** Longest stretch of a background compaction before it hands the event loop back (ms). */
const COMPACT_SLICE_MS = 8;
/**
 * Graph density. M 16 / efConstruction 100 reached recall@10 1.000 at 10k and 100k, but at 300k ×
 * 1,844-d recall stopped at 0.978 however large ef was (true neighbours unreachable in the graph);
 * M 24 / efConstruction 200 reaches 0.998 at ef 256 and 1.000 at ef 1024 there, for 1.31× the
 * build time and ~1% more memory (scripts/bench-index.ts; docs/benchmarks.md, "300,000 products").
 * An index keeps the M and efConstruction it was built with (saved in its meta); LiveCatalogs
 * rebuilds, in the background, a loaded index whose density differs from the one it builds.
 */
const DEFAULT_M = 24;
const DEFAULT_EF_CONSTRUCTION = 200;
/** The graph density new indexes get unless told otherwise. */
export const DEFAULT_GRAPH: GraphParams = { M: DEFAULT_M, efConstruction: DEFAULT_EF_CONSTRUCTION };
const DEFAULT_INITIAL_CAPACITY = 1_024;
/**
 * 2: JSON lines — the head, then one line per piece of products — so a load parses, checks and
 * indexes them a piece at a time. 1 (one JSON document) is still read, in one go.
 */
const META_VERSION = 2;
const LEGACY_META_VERSION = 1;
/** Products per piece (line) of a saved meta (~125 KB, ~1–2 ms of JSON.stringify or JSON.parse each). */
const META_PRODUCTS_PER_PIECE = 500;
/** How long a load runs before it hands the event loop back. */
const LOAD_YIELD_EVERY_MS = 8;
const { HierarchicalNSW } = hnswlib;

interface Candidate {
  label: number;
  id: string;
  /** hnswlib distance (1 − inner product) when the candidate came from HNSW */
  distance?: number;
}

export class ShopVectorIndex {
  private readonly layout: Layout;
  private readonly M: number;
  private readonly efConstruction: number;
  private initialCapacity: number;
  private readonly plannerConfig: PlannerConfig;

  private native!: NativeIndex;
  private quant!: QuantizedStore;
  private capacity = 0;
  private nextLabel = 0;
  private deleted = 0;
  private readonly idToLabel = new Map<string, number>();
  /** label → id (undefined once deleted) */
  private labelToId: (string | undefined)[] = [];
  /** label → normalised attributes for the planner (undefined once deleted) */
  private normByLabel: (NormalizedAttributes | undefined)[] = [];
  /** The planner's price order and posting lists over `normByLabel` (rebuilt when that array is replaced). */
  private readonly postings = new AttributePostings();
  private readonly attrs = new Map<string, ProductAttributes>();
  /** Estimated bytes of `attrs` (attributeBytes of each entry), kept up to date by setAttrs/deleteAttrs. */
  private attrsBytes = 0;
  private saveChain: Promise<void> = Promise.resolve();
  /** The background compaction under way, if any (maybeCompact). */
  private compacting: Promise<void> | undefined;
  /** Bumped whenever labels are reassigned (compact, reset): a background compaction begun before stops. */
  private generation = 0;
  /** Set while a save's native/int8 write reads this index's memory (see `busy`). */
  private writing: Promise<void> | undefined;

  /** Plan kind of the most recent search (diagnostics). */
  lastPlan: ExecutedPlan | undefined;

  constructor(opts: ShopVectorIndexOptions) {
    this.layout = makeLayout(opts.dims, opts.weights);
    this.M = opts.M ?? DEFAULT_M;
    this.efConstruction = opts.efConstruction ?? DEFAULT_EF_CONSTRUCTION;
    this.initialCapacity = Math.max(1, Math.floor(opts.initialCapacity ?? DEFAULT_INITIAL_CAPACITY));
    this.plannerConfig = { ...DEFAULT_PLANNER_CONFIG, ...opts.planner };
    if (!Number.isInteger(this.M) || this.M < 2) throw new RangeError(`M must be an integer ≥ 2 (got ${this.M})`);
    if (!Number.isInteger(this.efConstruction) || this.efConstruction < 1) {
      throw new RangeError(`efConstruction must be a positive integer (got ${this.efConstruction})`);
    }
    this.reset(this.initialCapacity);
  }

  /** The graph density this index was built with (a loaded index keeps the one it was saved with). */
  get graph(): GraphParams {
    return { M: this.M, efConstruction: this.efConstruction };
  }

  private reset(capacity: number) {
    this.generation++;
    this.native = new HierarchicalNSW("ip", this.layout.total);
    this.native.initIndex({ maxElements: capacity, m: this.M, efConstruction: this.efConstruction, randomSeed: 100 });
    this.quant = new QuantizedStore(this.layout, capacity);
    this.capacity = capacity;
    this.nextLabel = 0;
    this.deleted = 0;
    this.idToLabel.clear();
    this.labelToId = [];
    this.normByLabel = [];
    this.attrs.clear();
    this.attrsBytes = 0;
  }

  get size(): number {
    return this.idToLabel.size;
  }

  get dims(): ChannelDims {
    return { ...this.layout.dims };
  }

  get weights(): ChannelWeights {
    return { ...this.layout.weights };
  }

  has(id: string): boolean {
    return this.idToLabel.has(id);
  }

  /** A copy of the stored attributes (mutating it does not affect the index). */
  attributes(id: string): ProductAttributes | undefined {
    const a = this.attrs.get(id);
    return a && { ...a, tags: [...a.tags] };
  }

  /** Stored availability (no copy; hot path of the in-stock boost). */
  isAvailable(id: string): boolean {
    return this.attrs.get(id)?.available === true;
  }

  /** Stored vendor ("" when unknown). */
  vendorOf(id: string): string {
    return this.attrs.get(id)?.vendor ?? "";
  }

  ids(): IterableIterator<string> {
    return this.idToLabel.keys();
  }

  /**
   * True while a save writes this index from its memory in the background: mutations throw
   * until `whenWritable()` resolves; searches are fine.
   */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /** Resolves when no save is writing from this index (at once when none is). Never rejects. */
  async whenWritable(): Promise<void> {
    while (this.writing) await this.writing;
  }

  // -------------------------------------------------------------------------
  // Mutations

  private assertWritable(): void {
    if (this.writing) throw new Error("ShopVectorIndex: changed while a save is writing it (await whenWritable() first)");
  }

  /** Inserts or replaces a product. Throws RangeError on bad dimensions/values. */
  upsert(id: string, vectors: ChannelVectors, attrs: ProductAttributes): void {
    this.assertWritable();
    if (typeof id !== "string" || id.length === 0) throw new TypeError("id must be a non-empty string");
    validateAttributes(attrs);
    const combined = combine(this.layout, vectors);
    const attrCopy: ProductAttributes = { ...attrs, tags: [...attrs.tags] };

    const existing = this.idToLabel.get(id);
    if (existing !== undefined) {
      const stored = this.native.getPoint(existing);
      if (sameVector(stored, combined)) {
        this.setAttrs(id, attrCopy); // attributes-only change: no graph work
        this.normByLabel[existing] = normalizeAttributes(attrCopy);
        this.postings.touch(existing);
        return;
      }
    }

    if (this.nextLabel >= this.capacity) this.resize(this.capacity * 2);
    const label = this.nextLabel;
    this.native.addPoint(combined, label);
    this.nextLabel++;
    this.quant.set(label, combined);
    this.labelToId[label] = id;
    this.normByLabel[label] = normalizeAttributes(attrCopy);
    this.postings.touch(label);
    this.idToLabel.set(id, label);
    this.setAttrs(id, attrCopy);

    if (existing !== undefined) {
      // Replace = insert the new point, then retire the old label.
      this.native.markDelete(existing);
      this.labelToId[existing] = undefined;
      this.normByLabel[existing] = undefined;
      this.postings.touch(existing);
      this.deleted++;
      this.maybeCompact();
    }
  }

  /** Removes a product (markDelete + forget attrs). False when unknown. */
  remove(id: string): boolean {
    this.assertWritable();
    const label = this.idToLabel.get(id);
    if (label === undefined) return false;
    this.native.markDelete(label);
    this.idToLabel.delete(id);
    this.labelToId[label] = undefined;
    this.normByLabel[label] = undefined;
    this.postings.touch(label);
    this.deleteAttrs(id);
    this.deleted++;
    this.maybeCompact();
    return true;
  }

  private setAttrs(id: string, a: ProductAttributes): void {
    const before = this.attrs.get(id);
    if (before) this.attrsBytes -= attributeBytes(id, before);
    this.attrs.set(id, a);
    this.attrsBytes += attributeBytes(id, a);
  }

  private deleteAttrs(id: string): void {
    const before = this.attrs.get(id);
    if (!before) return;
    this.attrsBytes -= attributeBytes(id, before);
    this.attrs.delete(id);
  }

  private resize(newCapacity: number) {
    this.native.resizeIndex(newCapacity);
    this.quant.grow(newCapacity);
    this.capacity = newCapacity;
  }

  private maybeCompact() {
    if (this.compacting || this.deleted <= COMPACT_DELETED_FRACTION * this.capacity) return;
    this.compacting = this.compactInBackground()
      .catch((err) => console.error("[lookalike] index compaction failed; the index goes on as it was", err))
      .finally(() => {
        this.compacting = undefined;
      });
  }

  /** True while a compaction rebuilds the graph in the background (see compactInBackground). */
  get compactingNow(): boolean {
    return this.compacting !== undefined;
  }

  /** Resolves once no background compaction runs (at once when none does). Never rejects. */
  async whenCompacted(): Promise<void> {
    while (this.compacting) await this.compacting;
  }

  /**
   * What compact() does, a few ms at a time, so that an index with many replaced or removed
   * products is rebuilt without holding the event loop (at M 24 / efConstruction 200 and 1,844-d a
   * product costs ~5 ms: 105 s for 20k products, which compact() spends in one block; bench-compact.ts).
   *
   * The index keeps serving and changing meanwhile; the new graph is built beside it from the live
   * points as they were when each was copied, then, in one synchronous step once no save is writing
   * the index, every product changed, added or removed since is brought up to date and the new
   * graph takes over. Until then the old graph and the new one are both in memory. A synchronous
   * compact() in between abandons it. The catch-up is as long as the changes made meanwhile.
   */
  private async compactInBackground(): Promise<void> {
    const generation = this.generation;
    await nextTurn(); // not inside the mutation that asked for it
    const fresh = this.compactionTarget();
    const { live, native, quant } = fresh;
    let capacity = fresh.capacity;
    /** new label → the old label it was copied from */
    const source: number[] = [];
    const newLabelOf = new Map<string, number>();
    let next = 0;
    const add = (fromLabel: number, id: string) => {
      if (next >= capacity) {
        capacity *= 2;
        native.resizeIndex(capacity);
        quant.grow(capacity);
      }
      native.addPoint(this.native.getPoint(fromLabel), next);
      quant.copyRow(this.quant, fromLabel, next);
      source[next] = fromLabel;
      newLabelOf.set(id, next);
      next++;
    };

    let slice = performance.now();
    for (const label of live) {
      if (performance.now() - slice > COMPACT_SLICE_MS) {
        await nextTurn();
        if (generation !== this.generation) return;
        slice = performance.now();
      }
      const id = this.labelToId[label];
      if (id !== undefined) add(label, id); // else removed or replaced meanwhile: caught up below
    }
    // A save may be writing the old graph from another thread: take over once it is done, with no
    // await between the catch-up and the swap.
    while (this.writing) await this.whenWritable();
    if (generation !== this.generation) return;

    let deleted = 0;
    const labelToId: (string | undefined)[] = [];
    const normByLabel: (NormalizedAttributes | undefined)[] = [];
    for (const [id, newLabel] of newLabelOf) {
      const current = this.idToLabel.get(id);
      if (current !== undefined && current === source[newLabel]) {
        labelToId[newLabel] = id;
        normByLabel[newLabel] = this.normByLabel[current];
      } else {
        native.markDelete(newLabel); // removed, or replaced by a newer point, since it was copied
        newLabelOf.delete(id);
        deleted++;
      }
    }
    for (const [id, current] of this.idToLabel) {
      if (newLabelOf.has(id)) continue;
      add(current, id); // added or replaced since the copy started
      labelToId[next - 1] = id;
      normByLabel[next - 1] = this.normByLabel[current];
    }
    for (const [id, label] of newLabelOf) this.idToLabel.set(id, label);
    this.native = native;
    this.quant = quant;
    this.labelToId = labelToId;
    this.normByLabel = normByLabel;
    this.capacity = capacity;
    this.nextLabel = next;
    this.deleted = deleted;
    this.generation++;
  }

  /** The live labels in order, and an empty graph and int8 store with room for them and half as many again. */
  private compactionTarget(): { live: number[]; capacity: number; native: NativeIndex; quant: QuantizedStore } {
    const live: number[] = [];
    for (let l = 0; l < this.nextLabel; l++) if (this.labelToId[l] !== undefined) live.push(l);
    const capacity = Math.max(this.initialCapacity, Math.ceil(live.length * 1.5), 1);
    const native = new HierarchicalNSW("ip", this.layout.total);
    native.initIndex({ maxElements: capacity, m: this.M, efConstruction: this.efConstruction, randomSeed: 100 });
    return { live, capacity, native, quant: new QuantizedStore(this.layout, capacity) };
  }

  /** Rebuilds the graph from the live points with fresh, dense labels, in one synchronous block. */
  compact(): void {
    this.assertWritable();
    this.generation++; // a background compaction under way is abandoned
    const { live, capacity: newCapacity, native, quant } = this.compactionTarget();
    const labelToId: (string | undefined)[] = [];
    const normByLabel: (NormalizedAttributes | undefined)[] = [];
    live.forEach((oldLabel, newLabel) => {
      native.addPoint(this.native.getPoint(oldLabel), newLabel);
      quant.copyRow(this.quant, oldLabel, newLabel);
      const id = this.labelToId[oldLabel]!;
      labelToId[newLabel] = id;
      normByLabel[newLabel] = this.normByLabel[oldLabel];
      this.idToLabel.set(id, newLabel);
    });
    this.native = native;
    this.quant = quant;
    this.labelToId = labelToId;
    this.normByLabel = normByLabel;
    this.capacity = newCapacity;
    this.nextLabel = live.length;
    this.deleted = 0;
  }

  // -------------------------------------------------------------------------
  // Search

  /** Products most similar to product `id` (never `id` itself). [] if `id` is unknown. */
  searchByProduct(id: string, opts: SearchOptions): SearchHit[] {
    const label = this.idToLabel.get(id);
    if (label === undefined) return [];
    return this.search(this.native.getPoint(label), opts, label);
  }

  /** Products most similar to the given channel vectors (missing channel = zeros). */
  searchByVectors(vectors: ChannelVectors, opts: SearchOptions): SearchHit[] {
    return this.search(combine(this.layout, vectors), opts, undefined);
  }

  private search(query: number[], opts: SearchOptions, excludeLabel: number | undefined): SearchHit[] {
    const k = opts.k;
    if (!Number.isInteger(k) || k < 0 || k > MAX_K) throw new RangeError(`k must be an integer in [0, ${MAX_K}]`);
    if (opts.efSearch !== undefined && (!Number.isInteger(opts.efSearch) || opts.efSearch < 1)) {
      throw new RangeError("efSearch must be a positive integer");
    }

    const plan = planSearch({
      k,
      filter: opts.filter,
      efSearch: opts.efSearch,
      excludeLabel,
      liveCount: this.size,
      labelBound: this.nextLabel,
      idByLabel: this.labelToId,
      attrsByLabel: this.normByLabel,
      postings: this.postings,
      config: this.plannerConfig,
    });
    // An estimated match count is at least a tenth of the catalog: ask for k, and let the exact
    // fallback below settle a filter that matches fewer.
    let want = plan.kind === "filtered-hnsw" && plan.estimated ? k : Math.min(k, plan.matches);
    this.lastPlan = plan.kind;
    planCounts[plan.kind]++;
    if (want === 0) return [];

    let candidates: Candidate[] | null = null;
    if (plan.kind === "hnsw") {
      this.native.setEf(plan.ef);
      const res = this.native.searchKnn(query, Math.min(plan.kAsk, this.size));
      candidates = this.toCandidates(res.neighbors, res.distances, excludeLabel);
    } else if (plan.kind === "filtered-hnsw") {
      this.native.setEf(plan.ef);
      const res = this.native.searchKnn(query, Math.min(want, this.size), plan.accept);
      candidates = this.toCandidates(res.neighbors, res.distances, excludeLabel);
    }
    if (candidates && candidates.length < want) {
      candidates = null; // HNSW under-delivered → exact fallback
      this.lastPlan = "exact-fallback";
    }

    let hits: SearchHit[];
    if (candidates) {
      hits = opts.contributions === false ? candidates.map(fromDistance) : this.scoreFromDistances(query, candidates);
    } else {
      const labels = plan.kind === "hnsw" ? this.liveLabels(excludeLabel) : plan.kind === "exact" ? plan.labels : plan.matchingLabels();
      want = Math.min(want, labels.length);
      if (want === 0) return [];
      hits = this.exactScan(query, labels, want);
    }
    hits.sort(compareHits);
    return hits.slice(0, want);
  }

  private liveLabels(excludeLabel: number | undefined): Int32Array {
    const out: number[] = [];
    for (let l = 0; l < this.nextLabel; l++) {
      if (l !== excludeLabel && this.labelToId[l] !== undefined) out.push(l);
    }
    return Int32Array.from(out);
  }

  private toCandidates(labels: number[], distances: number[], excludeLabel: number | undefined): Candidate[] {
    const out: Candidate[] = [];
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (label === excludeLabel) continue;
      const id = this.labelToId[label];
      if (id !== undefined) out.push({ label, id, distance: distances[i] });
    }
    return out;
  }

  /**
   * HNSW candidates already carry their exact score (hnswlib's inner-product distance). The
   * per-channel split comes from the int8 copy (~2 µs a hit instead of a ~130 µs `getPoint`),
   * its small rounding error spread over the channels in proportion to their size, so the
   * contributions still add up to the exact score.
   */
  private scoreFromDistances(query: number[], candidates: Candidate[]): SearchHit[] {
    const q = Float32Array.from(query);
    return candidates.map((c) => {
      const score = 1 - (c.distance ?? 1);
      const [image, color, text] = this.quant.approxSegmentDots(q, c.label);
      const mass = Math.abs(image) + Math.abs(color) + Math.abs(text);
      const k = mass > 0 ? (score - (image + color + text)) / mass : 0;
      const contributions = { image: image + k * Math.abs(image), color: color + k * Math.abs(color), text: text + k * Math.abs(text) };
      return { id: c.id, score, contributions };
    });
  }

  /** Exact scores + contributions from the float32 points stored in hnswlib. */
  private scoreExactly(query: number[], candidates: Candidate[]): SearchHit[] {
    return candidates.map(({ label, id }) => {
      const contributions = segmentDots(this.layout, query, this.native.getPoint(label));
      return { id, score: contributions.image + contributions.color + contributions.text, contributions };
    });
  }

  /**
   * Exact scan of `labels`: int8 pre-scoring of all of them, then exact
   * re-scoring (getPoint) of the best `want` plus every further candidate whose
   * pre-score is within the quantisation error margin of the `want`-th one
   * (at most `want + max(want, 16)` re-scored points).
   */
  private exactScan(query: number[], labels: Int32Array, want: number): SearchHit[] {
    const maxRerank = Math.min(labels.length, want + Math.max(want, 16));
    const q = Float32Array.from(query);
    const top = this.quant.topRows(q, labels, maxRerank);
    const margin = 2 * this.quant.errorMargin(q, top.map((t) => t.row));
    const cutoff = top[Math.min(want, top.length) - 1].approx - margin;
    const candidates: Candidate[] = [];
    for (let i = 0; i < top.length; i++) {
      if (i >= want && top[i].approx < cutoff) break;
      candidates.push({ label: top[i].row, id: this.labelToId[top[i].row]! });
    }
    return this.scoreExactly(query, candidates);
  }

  // -------------------------------------------------------------------------
  // Stats & persistence

  stats(): ShopVectorIndexStats {
    const D = this.layout.total;
    const M = this.M;
    const size = this.size;
    // hnswlib memory model: level-0 block per slot (header + 2M links + data + label),
    // per-slot bookkeeping (levels, link-list pointer, mutex), upper-level links
    // (expected 1/(M-1) levels per element), label hash map, 65,536 label-op mutexes,
    // one visited list (2 bytes per slot).
    const level0 = 4 + 2 * M * 4 + D * 4 + 8;
    const perSlot = level0 + 4 + 8 + 40 + 2;
    const upper = (this.nextLabel * (M * 4 + 4)) / Math.max(1, M - 1);
    const labelMap = this.nextLabel * 40;
    const fixed = 65_536 * 40;
    const hnswBytes = Math.round(this.capacity * perSlot + upper + labelMap + fixed);
    // Slots beyond nextLabel are allocated but never touched, so they are not resident.
    const hnswUsedBytes = Math.round(this.nextLabel * perSlot + upper + labelMap + fixed);
    // Kept as products change: summing it here walked every product's tags on each call (after
    // every catalog refresh, ~4 ms per index at 20k products in the soak's profile).
    const attributesBytes = this.attrsBytes + this.labelToId.length * 8 + this.postings.bytes;
    const quantizedBytes = this.quant.bytes;
    const quantizedUsedBytes = this.nextLabel * (D + 12);
    return {
      size,
      deleted: this.deleted,
      capacity: this.capacity,
      dim: D,
      M,
      efConstruction: this.efConstruction,
      rawVectorBytes: size * D * 4,
      memory: {
        hnswBytes,
        quantizedBytes,
        attributesBytes,
        totalBytes: hnswBytes + quantizedBytes + attributesBytes,
        usedBytes: hnswUsedBytes + quantizedUsedBytes + attributesBytes,
      },
    };
  }

  /**
   * Saves index + sidecar to `dir` (see index-persistence.server.ts). Saves on
   * one instance are serialised; the snapshot reflects the state at the moment
   * the save starts running. From then until the native index and the int8
   * store are written, the index is `busy` (mutations throw); the rest of the
   * save (meta, fsync, checksums, renames) works on copies and files.
   */
  save(dir: string): Promise<void> {
    const run = async () => {
      // One synchronous stretch (a few ms at 20k products): the state is captured and the native
      // write started together, and the index is busy before anything else can run.
      const native = this.native; // the write's closure keeps it alive until the write ends
      const write = writeSnapshot(dir, {
        writeIndex: async (file) => {
          if (!(await native.writeIndex(file))) throw new Error("hnswlib could not write the index");
        },
        quant: this.quant.views(this.nextLabel),
        meta: this.metaPieces(),
      });
      const released = write.released.then(() => {
        this.writing = undefined;
      });
      this.writing = released;
      await write.done;
    };
    const p = this.saveChain.then(run, run);
    this.saveChain = p.catch(() => {});
    return p;
  }

  /**
   * The meta JSON (PersistedMeta) of the current state, in pieces of META_PRODUCTS_PER_PIECE
   * products. The state is captured now (label → id and → attributes, a few ms at 20k products;
   * stored attribute objects are replaced, never changed in place); the JSON is made as the pieces
   * are taken — one JSON.stringify of a 20k-product shop's meta (~5 MB) took 35–80 ms.
   */
  private metaPieces(): Iterable<string> {
    const head: Omit<PersistedMeta, "products"> = {
      version: META_VERSION,
      dims: this.layout.dims,
      weights: this.layout.weights,
      M: this.M,
      efConstruction: this.efConstruction,
      initialCapacity: this.initialCapacity,
      capacity: this.capacity,
      nextLabel: this.nextLabel,
      deleted: this.deleted,
    };
    const n = this.nextLabel;
    const ids = this.labelToId.slice(0, n);
    const attrs: (ProductAttributes | undefined)[] = new Array(n);
    for (let l = 0; l < n; l++) {
      const id = ids[l];
      if (id !== undefined) attrs[l] = this.attrs.get(id);
    }
    return metaJsonPieces(JSON.stringify(head), n, ids, attrs);
  }

  /**
   * Loads a saved index; null when missing, truncated or corrupt (never throws). The snapshot holds
   * the graph and its build parameters, not the query planner: the loaded index plans with this
   * release's planner (DEFAULT_PLANNER_CONFIG, or `opts.planner`), so a tuning change reaches
   * every saved shop on its next load.
   */
  static async load(dir: string, opts: { planner?: Partial<PlannerConfig> } = {}): Promise<ShopVectorIndex | null> {
    try {
      const snap = await readSnapshot(dir);
      if (!snap) return null;
      // A big shop's meta (20k products: ~5 MB) is parsed, checked and indexed a piece at a time,
      // with the event loop handed back every few ms (a web process may be serving other shops).
      const pause = yielder(LOAD_YIELD_EVERY_MS);
      const meta = await parseMeta(snap.meta, pause);
      if (!meta) return null;
      await nextTurn();

      const idx = new ShopVectorIndex({
        dims: meta.dims,
        weights: meta.weights,
        M: meta.M,
        efConstruction: meta.efConstruction,
        initialCapacity: 1,
        planner: opts.planner,
      });
      idx.initialCapacity = meta.initialCapacity;
      const native = new HierarchicalNSW("ip", idx.layout.total);
      await native.readIndex(snap.indexPath);
      if (
        native.getNumDimensions() !== idx.layout.total ||
        native.getCurrentCount() !== meta.nextLabel ||
        native.getMaxElements() !== meta.capacity
      ) {
        return null;
      }
      idx.native = native;
      const quant = new QuantizedStore(idx.layout, meta.capacity);
      if (!(await snap.readQuant(quant.views(meta.nextLabel)))) return null;
      idx.quant = quant;
      idx.capacity = meta.capacity;
      idx.nextLabel = meta.nextLabel;
      idx.deleted = meta.deleted;
      for (const [label, id, attrs] of meta.products) {
        await pause();
        idx.idToLabel.set(id, label);
        idx.labelToId[label] = id;
        idx.normByLabel[label] = normalizeAttributes(attrs);
        idx.setAttrs(id, attrs);
      }
      return idx;
    } catch {
      return null;
    }
  }
}

/** Estimated heap bytes of one product's id and attributes (stats). */
function attributeBytes(id: string, a: ProductAttributes): number {
  let bytes = 120 + 2 * (id.length + a.productType.length + a.vendor.length);
  for (const t of a.tags) bytes += 24 + 2 * t.length;
  return bytes;
}

interface PersistedMeta {
  version: number;
  dims: ChannelDims;
  weights: ChannelWeights;
  M: number;
  efConstruction: number;
  initialCapacity: number;
  capacity: number;
  nextLabel: number;
  deleted: number;
  /**
   * Written by releases before 2026-12-06 (the planner config of the saving process) and ignored:
   * a snapshot pinned its planner, so ef tiers tuned later never reached a saved shop, and JSON
   * turned an `Infinity` tier bound into null.
   */
  planner?: unknown;
  products: [number, string, ProductAttributes][];
}

/**
 * The saved meta as JSON lines: `head` (a JSON object) with `products` = how many rows follow, then
 * the live labels' [label, id, attributes] as JSON arrays of up to META_PRODUCTS_PER_PIECE rows, one
 * per line.
 */
function* metaJsonPieces(head: string, n: number, ids: (string | undefined)[], attrs: (ProductAttributes | undefined)[]): Generator<string> {
  let count = 0;
  for (let l = 0; l < n; l++) if (ids[l] !== undefined) count++;
  yield `${head.slice(0, -1)},"products":${count}}\n`;
  for (let start = 0; start < n; start += META_PRODUCTS_PER_PIECE) {
    const rows: [number, string, ProductAttributes][] = [];
    for (let l = start; l < Math.min(n, start + META_PRODUCTS_PER_PIECE); l++) {
      const id = ids[l];
      if (id !== undefined) rows.push([l, id, attrs[l]!]);
    }
    if (rows.length > 0) yield `${JSON.stringify(rows)}\n`;
  }
}

/**
 * Parses and checks a saved meta (either version), handing the event loop back through `pause`
 * between pieces; null when anything is missing, malformed or inconsistent.
 */
async function parseMeta(raw: Buffer, pause: () => Promise<void>): Promise<PersistedMeta | null> {
  const isInt = (x: unknown, min = 0) => Number.isInteger(x) && (x as number) >= min;
  const lines = jsonLines(raw, pause);
  const m = (await lines.next()).value as (Omit<PersistedMeta, "products"> & { products: unknown }) | undefined;
  if (!m || (m.version !== META_VERSION && m.version !== LEGACY_META_VERSION)) return null;
  for (const c of CHANNELS) {
    if (!isInt(m.dims?.[c]) || typeof m.weights?.[c] !== "number") return null;
  }
  if (!isInt(m.M, 2) || !isInt(m.efConstruction, 1) || !isInt(m.initialCapacity, 1)) return null;
  if (!isInt(m.capacity, 1) || !isInt(m.nextLabel) || !isInt(m.deleted) || m.nextLabel > m.capacity) return null;
  const count = m.version === LEGACY_META_VERSION ? (Array.isArray(m.products) ? m.products.length : -1) : m.products;
  if (!isInt(count) || (count as number) + m.deleted !== m.nextLabel) return null;

  const products: PersistedMeta["products"] = [];
  const seenLabels = new Set<number>();
  const seenIds = new Set<string>();
  const take = (rows: unknown): boolean => {
    if (!Array.isArray(rows)) return false;
    for (const p of rows) {
      if (!Array.isArray(p) || p.length !== 3) return false;
      const [label, id, attrs] = p as [unknown, unknown, ProductAttributes];
      if (!isInt(label) || (label as number) >= m.nextLabel || seenLabels.has(label as number)) return false;
      if (typeof id !== "string" || !id || seenIds.has(id)) return false;
      try {
        validateAttributes(attrs);
      } catch {
        return false;
      }
      seenLabels.add(label as number);
      seenIds.add(id);
      products.push([label as number, id, attrs]);
    }
    return true;
  };
  if (m.version === LEGACY_META_VERSION) {
    if (!take(m.products)) return null;
  } else {
    for await (const rows of lines) if (!take(rows)) return null;
  }
  if (products.length !== count) return null;
  return { ...m, products };
}

function validateAttributes(a: ProductAttributes): void {
  if (
    !a ||
    typeof a.price !== "number" ||
    !Number.isFinite(a.price) ||
    typeof a.available !== "boolean" ||
    typeof a.productType !== "string" ||
    typeof a.vendor !== "string" ||
    !Array.isArray(a.tags) ||
    !a.tags.every((t) => typeof t === "string")
  ) {
    throw new TypeError("invalid product attributes");
  }
}

function sameVector(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_CONTRIBUTIONS = Object.freeze({ image: 0, color: 0, text: 0 });

function fromDistance(c: Candidate): SearchHit {
  return { id: c.id, score: 1 - (c.distance ?? 1), contributions: NO_CONTRIBUTIONS };
}

function compareHits(a: SearchHit, b: SearchHit): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
