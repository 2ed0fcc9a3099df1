/**
 * One in-memory HNSW index per shop over the combined channel vector
 * (see ./combined-vector.ts): the inner product of two combined vectors is the
 * blended score w_image·cos_image + w_color·cos_color + w_text·cos_text, and
 * each segment's dot is that channel's contribution ("why it matched").
 * This file is the index's API, its mutations and its search; the rest of it has a file each:
 * its state (index-state.server.ts), compaction (index-compaction.server.ts), snapshots
 * (index-snapshot.server.ts over index-persistence.server.ts) and statistics (index-stats.ts).
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
import { CHANNELS, combine, makeLayout, segmentDots, type Channel, type ChannelDims, type ChannelProjections, type ChannelVectors, type ChannelWeights } from "./combined-vector";
import { compileNormalizedFilter, isEmptyFilter, normalizeAttributes, type ProductAttributes, type ProductFilter } from "./filters";
import { compactInBackground, compactNow, needsCompaction } from "./index-compaction.server";
import { loadIndexState, saveIndexState } from "./index-snapshot.server";
import { deleteAttrs, emptyIndexState, setAttrs, validateAttributes, whenWritable, type IndexState, type NativeIndex } from "./index-state.server";
import { indexStats, type ShopVectorIndexStats } from "./index-stats";
import { DEFAULT_PLANNER_CONFIG, planCounts, planSearch, type PlannerConfig, type SearchPlan } from "./search-planner";
import { moduleLogger } from "../logging/logger.server";
import { nextTurn } from "../shared/event-loop-turns";

const log = moduleLogger("search");

export type { ChannelDims, ChannelProjections, ChannelVectors, ChannelWeights } from "./combined-vector";
export type { ShopVectorIndexStats } from "./index-stats";

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
  /**
   * Answer a by-product search from the product's stored neighbour list when it can (the list is
   * made, and holds k products that pass the filter, or every other product): no vector search.
   * Scores are then the stored inner products and contributions zeros, as with
   * `contributions: false`. Otherwise (and for by-vector searches) the index is searched.
   */
  stored?: boolean;
}

export interface SearchHit {
  id: string;
  score: number;
  contributions: { image: number; color: number; text: number };
  /** The photo search's best photo of the product (its index among the product's stored photos), when known. */
  photo?: number;
}

export interface ShopVectorIndexOptions {
  /** The channels' input dimensions (the models'). */
  dims: ChannelDims;
  weights: ChannelWeights;
  /** Channels stored projected (the shop's learned projections, vector-projection.ts). */
  projections?: ChannelProjections;
  M?: number;
  efConstruction?: number;
  initialCapacity?: number;
  /** Planner thresholds (exact-scan cut-offs, ef bounds). */
  planner?: Partial<PlannerConfig>;
  /**
   * Keep each product's neighbour list (default true): for by-product searches without a vector
   * search. An index only ever searched by vectors (the per-photo index) is better off without.
   */
  neighbours?: boolean;
}

/** HNSW graph density: links per node and the candidate list's size while inserting. */
export interface GraphParams {
  M: number;
  efConstruction: number;
}

/** Plan kind used by the last search (exposed for tests and benchmarks). */
export type ExecutedPlan = SearchPlan["kind"] | "exact-fallback" | "stored";

export const MAX_K = 1_000;
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
/** Longest stretch of background neighbour-list making before the event loop is handed back (ms). */
const FILL_SLICE_MS = 8;

/** By-product searches asked to use the stored lists, by outcome (read by the web metrics at scrape time). */
export const storedListCounts = { answered: 0, searched: 0 };

interface Candidate {
  label: number;
  id: string;
  /** hnswlib distance (1 − inner product) when the candidate came from HNSW */
  distance?: number;
}

export class ShopVectorIndex {
  private readonly s: IndexState;
  private readonly plannerConfig: PlannerConfig;
  private saveChain: Promise<void> = Promise.resolve();
  /** The background compaction under way, if any (maybeCompact). */
  private compacting: Promise<void> | undefined;
  /** The background making of neighbour lists under way, if any (scheduleNeighbours). */
  private filling: Promise<void> | undefined;
  /** Set by retire(): no more background work for an index nobody serves. */
  private retired = false;

  /** Plan kind of the most recent search (diagnostics). */
  lastPlan: ExecutedPlan | undefined;

  constructor(opts: ShopVectorIndexOptions, state?: IndexState) {
    this.plannerConfig = { ...DEFAULT_PLANNER_CONFIG, ...opts.planner };
    if (state) {
      this.s = state;
      this.scheduleNeighbours();
      return;
    }
    const M = opts.M ?? DEFAULT_M;
    const efConstruction = opts.efConstruction ?? DEFAULT_EF_CONSTRUCTION;
    const initialCapacity = Math.max(1, Math.floor(opts.initialCapacity ?? DEFAULT_INITIAL_CAPACITY));
    const layout = makeLayout(opts.dims, opts.weights, opts.projections);
    if (!Number.isInteger(M) || M < 2) throw new RangeError(`M must be an integer ≥ 2 (got ${M})`);
    if (!Number.isInteger(efConstruction) || efConstruction < 1) {
      throw new RangeError(`efConstruction must be a positive integer (got ${efConstruction})`);
    }
    this.s = emptyIndexState(layout, { M, efConstruction, initialCapacity }, initialCapacity, opts.neighbours ?? true);
  }

  /** The hnswlib graph now serving (a compaction replaces it; tests that slow its write reach it here). */
  private get native(): NativeIndex {
    return this.s.native;
  }

  /** The graph density this index was built with (a loaded index keeps the one it was saved with). */
  get graph(): GraphParams {
    return { M: this.s.M, efConstruction: this.s.efConstruction };
  }

  get size(): number {
    return this.s.idToLabel.size;
  }

  /** The channels' input dimensions (what upsert and searchByVectors take). */
  get dims(): ChannelDims {
    return { ...this.s.layout.inputDims };
  }

  /** The channels' stored dimensions (a projected channel's output dimension). */
  get storedDims(): ChannelDims {
    return { ...this.s.layout.dims };
  }

  /** The learned projections the index stores its channels through (none: stored as given). */
  get projections(): ChannelProjections {
    return { ...this.s.layout.projections };
  }

  get weights(): ChannelWeights {
    return { ...this.s.layout.weights };
  }

  has(id: string): boolean {
    return this.s.idToLabel.has(id);
  }

  /** A copy of the stored attributes (mutating it does not affect the index). */
  attributes(id: string): ProductAttributes | undefined {
    const a = this.s.attrs.get(id);
    return a && { ...a, tags: [...a.tags] };
  }

  /** Stored price (no copy; hot path of the price band). Undefined when unknown. */
  priceOf(id: string): number | undefined {
    return this.s.attrs.get(id)?.price;
  }

  /** Stored availability (no copy; hot path of the in-stock boost). */
  isAvailable(id: string): boolean {
    return this.s.attrs.get(id)?.available === true;
  }

  /** Stored vendor ("" when unknown). */
  vendorOf(id: string): string {
    return this.s.attrs.get(id)?.vendor ?? "";
  }

  /**
   * The product's stored channel segments without their weights (what it was upserted with, rounded
   * to float32 — for a projected channel, its projection: `storedDims`, not `dims`, so not for
   * `upsert` or `searchByVectors`), read back from its point (one `getPoint`, ~0.1 ms). A channel of
   * weight 0 is left out: its segment holds zeros; a channel the product has no vector for is all
   * zeros. Undefined for an unknown id.
   */
  channelVectors(id: string): ChannelVectors | undefined {
    const label = this.s.idToLabel.get(id);
    if (label === undefined) return undefined;
    const { layout } = this.s;
    const point = this.native.getPoint(label);
    const out: ChannelVectors = {};
    CHANNELS.forEach((c, ci) => {
      const scale = layout.scales[ci];
      const d = layout.dims[c];
      if (scale === 0 || d === 0) return;
      const off = layout.offsets[ci];
      const v = new Float32Array(d);
      for (let i = 0; i < d; i++) v[i] = point[off + i] / scale;
      out[c] = v;
    });
    return out;
  }

  ids(): IterableIterator<string> {
    return this.s.idToLabel.keys();
  }

  /**
   * True while a save writes this index from its memory in the background: mutations throw
   * until `whenWritable()` resolves; searches are fine.
   */
  get busy(): boolean {
    return this.s.writing !== undefined;
  }

  /** Resolves when no save is writing from this index (at once when none is). Never rejects. */
  whenWritable(): Promise<void> {
    return whenWritable(this.s);
  }

  // -------------------------------------------------------------------------
  // Mutations

  private assertWritable(): void {
    if (this.s.writing) throw new Error("ShopVectorIndex: changed while a save is writing it (await whenWritable() first)");
  }

  /** Inserts or replaces a product. Throws RangeError on bad dimensions/values. */
  upsert(id: string, vectors: ChannelVectors, attrs: ProductAttributes): void {
    this.assertWritable();
    if (typeof id !== "string" || id.length === 0) throw new TypeError("id must be a non-empty string");
    validateAttributes(attrs);
    const s = this.s;
    const combined = combine(s.layout, vectors);
    const attrCopy: ProductAttributes = { ...attrs, tags: [...attrs.tags] };

    const existing = s.idToLabel.get(id);
    if (existing !== undefined) {
      const stored = this.native.getPoint(existing);
      if (sameVector(stored, combined)) {
        setAttrs(s, id, attrCopy); // attributes-only change: no graph work
        s.normByLabel[existing] = normalizeAttributes(attrCopy);
        s.postings.touch(existing);
        return;
      }
    }

    if (s.nextLabel >= s.capacity) this.resize(s.capacity * 2);
    const label = s.nextLabel;
    this.native.addPoint(combined, label);
    s.nextLabel++;
    s.quant.set(label, combined);
    if (s.neighbours) {
      s.neighbours.clear(label);
      s.pendingNeighbours.add(label);
    }
    s.labelToId[label] = id;
    s.normByLabel[label] = normalizeAttributes(attrCopy);
    s.postings.touch(label);
    s.idToLabel.set(id, label);
    setAttrs(s, id, attrCopy);

    if (existing !== undefined) {
      // Replace = insert the new point, then retire the old label.
      this.native.markDelete(existing);
      s.labelToId[existing] = undefined;
      s.normByLabel[existing] = undefined;
      s.postings.touch(existing);
      s.neighbours?.clear(existing);
      s.pendingNeighbours.delete(existing);
      s.deleted++;
      this.maybeCompact();
    }
    this.scheduleNeighbours();
  }

  /** Removes a product (markDelete + forget attrs). False when unknown. */
  remove(id: string): boolean {
    this.assertWritable();
    const s = this.s;
    const label = s.idToLabel.get(id);
    if (label === undefined) return false;
    this.native.markDelete(label);
    s.idToLabel.delete(id);
    s.labelToId[label] = undefined;
    s.normByLabel[label] = undefined;
    s.postings.touch(label);
    s.neighbours?.clear(label);
    s.pendingNeighbours.delete(label);
    deleteAttrs(s, id);
    s.deleted++;
    this.maybeCompact();
    return true;
  }

  private resize(newCapacity: number) {
    this.native.resizeIndex(newCapacity);
    this.s.quant.grow(newCapacity);
    this.s.neighbours?.grow(newCapacity);
    this.s.capacity = newCapacity;
  }

  private maybeCompact() {
    if (this.compacting || !needsCompaction(this.s)) return;
    this.compacting = compactInBackground(this.s)
      .catch((err: unknown) => log.error({ err }, "index compaction failed; the index goes on as it was"))
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

  /** Rebuilds the graph from the live points with fresh, dense labels, in one synchronous block. */
  compact(): void {
    this.assertWritable();
    compactNow(this.s);
  }

  // -------------------------------------------------------------------------
  // Neighbour lists

  /**
   * Stops this index's background work (neighbour lists; a compaction finishes on its own): for an
   * index no longer served — evicted, or replaced by a rebuild. Searches still work.
   */
  retire(): void {
    this.retired = true;
  }

  /** Products still waiting for their neighbour list. */
  get neighboursPending(): number {
    return this.s.pendingNeighbours.size;
  }

  /** Resolves once no neighbour list is being made in the background. Never rejects. */
  async whenNeighboursMade(): Promise<void> {
    while (this.filling) await this.filling;
  }

  private scheduleNeighbours(): void {
    if (this.filling || this.retired || this.s.pendingNeighbours.size === 0) return;
    this.filling = this.makeNeighboursInBackground()
      .catch((err: unknown) => log.error({ err }, "making neighbour lists failed; by-product searches search the index"))
      .finally(() => {
        this.filling = undefined;
      });
  }

  /** makeNeighbours a slice at a time, with the event loop handed back in between, while a save is not writing. */
  private async makeNeighboursInBackground(): Promise<void> {
    await nextTurn(); // not inside the mutation that asked for it
    while (!this.retired && this.s.pendingNeighbours.size > 0) {
      if (this.s.writing) await whenWritable(this.s);
      else this.makeNeighbours(FILL_SLICE_MS);
      await nextTurn();
    }
  }

  /**
   * Makes waiting neighbour lists for up to `budgetMs` (all of them by default) in one synchronous
   * stretch; returns how many still wait. Each costs one search of 2·slots + 1 neighbours (~2.4 ms at
   * 100k × 1,844-d), which also offers the product to the lists of the products it found: a new
   * product enters the lists it belongs in (the inner product is symmetric).
   */
  makeNeighbours(budgetMs = Infinity): number {
    this.assertWritable();
    const s = this.s;
    const start = performance.now();
    for (const label of s.pendingNeighbours) {
      s.pendingNeighbours.delete(label);
      if (s.labelToId[label] !== undefined) this.makeNeighbourList(label);
      if (performance.now() - start > budgetMs) break;
    }
    return s.pendingNeighbours.size;
  }

  private makeNeighbourList(label: number): void {
    const s = this.s;
    if (!s.neighbours) return;
    const slots = s.neighbours.slots;
    const kAsk = Math.min(2 * slots + 1, this.size);
    const plan = planSearch({
      k: kAsk,
      liveCount: this.size,
      labelBound: s.nextLabel,
      idByLabel: s.labelToId,
      attrsByLabel: s.normByLabel,
      config: this.plannerConfig,
    });
    this.native.setEf(plan.kind === "hnsw" ? plan.ef : Math.max(kAsk, this.plannerConfig.minEf));
    const res = this.native.searchKnn(this.native.getPoint(label), kAsk);
    const found = this.toCandidates(res.neighbors, res.distances, label).map((c) => ({ label: c.label, id: c.id, score: 1 - (c.distance ?? 1) }));
    found.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    s.neighbours.set(label, found);
    const isLive = (l: number) => s.labelToId[l] !== undefined;
    for (const f of found) s.neighbours.offer(f.label, label, f.score, isLive);
  }

  /**
   * The by-product search of `searchByProduct(id, { ...opts, stored: true })` when the product's
   * stored list can answer it; null when only a search of the index can (see fromStoredList). Never
   * searches. Unknown ids: [].
   */
  storedNeighbours(id: string, opts: Pick<SearchOptions, "k" | "filter">): SearchHit[] | null {
    const label = this.s.idToLabel.get(id);
    if (label === undefined) return [];
    if (!Number.isInteger(opts.k) || opts.k < 0 || opts.k > MAX_K) throw new RangeError(`k must be an integer in [0, ${MAX_K}]`);
    const hits = this.fromStoredList(label, opts.k, opts.filter);
    if (hits) storedListCounts.answered++; // a null is counted by the search that follows (searchByProduct, stored: true)
    return hits;
  }

  /**
   * A by-product search answered from the product's stored list: the first k entries that name live
   * products passing the filter, or null when the list is not made or cannot tell (it holds fewer
   * than k such products but not every other product). A list that has lost a quarter of its
   * entries to removed or changed products is made again in the background.
   */
  private fromStoredList(label: number, k: number, filter: ProductFilter | undefined): SearchHit[] | null {
    const s = this.s;
    const lists = s.neighbours;
    if (!lists?.known(label)) return null;
    const pred = isEmptyFilter(filter) ? null : compileNormalizedFilter(filter!);
    const n = lists.count(label);
    const out: SearchHit[] = [];
    let gone = 0;
    for (let i = 0; i < n && out.length < k; i++) {
      const l = lists.labelAt(label, i);
      const id = s.labelToId[l];
      if (id === undefined) {
        gone++;
        continue;
      }
      if (pred && !pred(s.normByLabel[l]!, id)) continue;
      out.push({ id, score: lists.scoreAt(label, i), contributions: NO_CONTRIBUTIONS });
    }
    if (gone > lists.slots / 4 && !s.pendingNeighbours.has(label)) {
      s.pendingNeighbours.add(label);
      this.scheduleNeighbours();
    }
    // A list with free slots holds every other product (later ones were offered to it), unless some still wait.
    if (out.length < k && (n === lists.slots || s.pendingNeighbours.size > 0)) return null;
    return out.sort(compareHits);
  }

  // -------------------------------------------------------------------------
  // Search

  /** Products most similar to product `id` (never `id` itself). [] if `id` is unknown. */
  searchByProduct(id: string, opts: SearchOptions): SearchHit[] {
    const label = this.s.idToLabel.get(id);
    if (label === undefined) return [];
    return this.search(() => this.native.getPoint(label), opts, label);
  }

  /**
   * Products most similar to product `id` by one channel alone: its stored point with the other
   * channels' segments zeroed (the channel as stored: nothing embedded or transformed again), searched
   * as by-vector searches are (filters, planner; never `id` itself). Scores are the channel's weight ×
   * the segments' dot. [] for an unknown id.
   */
  searchByProductChannel(id: string, channel: Channel, opts: SearchOptions): SearchHit[] {
    const label = this.s.idToLabel.get(id);
    if (label === undefined) return [];
    const { layout } = this.s;
    const ci = CHANNELS.indexOf(channel);
    const off = layout.offsets[ci];
    const end = off + layout.dims[channel];
    const point = this.native.getPoint(label);
    const query = new Array<number>(layout.total).fill(0);
    for (let i = off; i < end; i++) query[i] = point[i];
    return this.search(query, { ...opts, stored: false }, label);
  }

  /** Products most similar to the given channel vectors (missing channel = zeros). */
  searchByVectors(vectors: ChannelVectors, opts: SearchOptions): SearchHit[] {
    return this.search(combine(this.s.layout, vectors), opts, undefined);
  }

  /**
   * The given products scored against the channel vectors (missing channel = zeros), from the
   * int8 copy (~2 µs a product, no graph walk): for re-ranking a small candidate list by another
   * channel (photo search's words). Unknown ids are left out; order follows `ids`.
   */
  scoreProducts(vectors: ChannelVectors, ids: readonly string[]): SearchHit[] {
    const q = Float32Array.from(combine(this.s.layout, vectors));
    const out: SearchHit[] = [];
    for (const id of ids) {
      const label = this.s.idToLabel.get(id);
      if (label === undefined) continue;
      const [image, color, text] = this.s.quant.approxSegmentDots(q, label);
      out.push({ id, score: image + color + text, contributions: { image, color, text } });
    }
    return out;
  }

  private search(query: number[] | (() => number[]), opts: SearchOptions, excludeLabel: number | undefined): SearchHit[] {
    const k = opts.k;
    if (!Number.isInteger(k) || k < 0 || k > MAX_K) throw new RangeError(`k must be an integer in [0, ${MAX_K}]`);
    if (opts.efSearch !== undefined && (!Number.isInteger(opts.efSearch) || opts.efSearch < 1)) {
      throw new RangeError("efSearch must be a positive integer");
    }
    if (opts.stored && excludeLabel !== undefined) {
      const stored = this.fromStoredList(excludeLabel, k, opts.filter);
      if (stored) {
        storedListCounts.answered++;
        this.lastPlan = "stored";
        return stored;
      }
      storedListCounts.searched++;
    }
    return this.searchIndex(typeof query === "function" ? query() : query, opts, excludeLabel);
  }

  private searchIndex(query: number[], opts: SearchOptions, excludeLabel: number | undefined): SearchHit[] {
    const k = opts.k;
    const s = this.s;

    const plan = planSearch({
      k,
      filter: opts.filter,
      efSearch: opts.efSearch,
      excludeLabel,
      liveCount: this.size,
      labelBound: s.nextLabel,
      idByLabel: s.labelToId,
      attrsByLabel: s.normByLabel,
      postings: s.postings,
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
    for (let l = 0; l < this.s.nextLabel; l++) {
      if (l !== excludeLabel && this.s.labelToId[l] !== undefined) out.push(l);
    }
    return Int32Array.from(out);
  }

  private toCandidates(labels: number[], distances: number[], excludeLabel: number | undefined): Candidate[] {
    const out: Candidate[] = [];
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (label === excludeLabel) continue;
      const id = this.s.labelToId[label];
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
      const [image, color, text] = this.s.quant.approxSegmentDots(q, c.label);
      const mass = Math.abs(image) + Math.abs(color) + Math.abs(text);
      const k = mass > 0 ? (score - (image + color + text)) / mass : 0;
      const contributions = { image: image + k * Math.abs(image), color: color + k * Math.abs(color), text: text + k * Math.abs(text) };
      return { id: c.id, score, contributions };
    });
  }

  /** Exact scores + contributions from the float32 points stored in hnswlib. */
  private scoreExactly(query: number[], candidates: Candidate[]): SearchHit[] {
    return candidates.map(({ label, id }) => {
      const contributions = segmentDots(this.s.layout, query, this.native.getPoint(label));
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
    const top = this.s.quant.topRows(q, labels, maxRerank);
    const margin = 2 * this.s.quant.errorMargin(q, top.map((t) => t.row));
    const cutoff = top[Math.min(want, top.length) - 1].approx - margin;
    const candidates: Candidate[] = [];
    for (let i = 0; i < top.length; i++) {
      if (i >= want && top[i].approx < cutoff) break;
      candidates.push({ label: top[i].row, id: this.s.labelToId[top[i].row]! });
    }
    return this.scoreExactly(query, candidates);
  }

  // -------------------------------------------------------------------------
  // Stats & persistence

  stats(): ShopVectorIndexStats {
    return indexStats(this.s);
  }

  /**
   * Saves index + sidecar to `dir` (see index-snapshot.server.ts). Saves on
   * one instance are serialised; the snapshot reflects the state at the moment
   * the save starts running. From then until the native index and the int8
   * store are written, the index is `busy` (mutations throw); the rest of the
   * save (meta, fsync, checksums, renames) works on copies and files.
   */
  save(dir: string): Promise<void> {
    const run = () => saveIndexState(this.s, dir);
    const p = this.saveChain.then(run, run);
    this.saveChain = p.catch(() => {});
    return p;
  }

  /**
   * Loads a saved index; null when missing, truncated or corrupt (never throws). The snapshot holds
   * the graph and its build parameters, not the query planner: the loaded index plans with this
   * release's planner (DEFAULT_PLANNER_CONFIG, or `opts.planner`), so a tuning change reaches
   * every saved shop on its next load.
   */
  static async load(dir: string, opts: { planner?: Partial<PlannerConfig>; neighbours?: boolean } = {}): Promise<ShopVectorIndex | null> {
    const state = await loadIndexState(dir, opts.neighbours ?? true);
    if (!state) return null;
    return new ShopVectorIndex({ dims: state.layout.dims, weights: state.layout.weights, planner: opts.planner }, state);
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
