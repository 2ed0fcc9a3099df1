/**
 * The state one ShopVectorIndex is made of — the hnswlib graph, its int8 copy, labels ↔ ids and
 * each product's attributes — shared by the files that each do one thing with it: the index and
 * its search (shop-vector-index.server.ts), background compaction (index-compaction.server.ts),
 * snapshots (index-snapshot.server.ts) and statistics (index-stats.ts). Only those touch it;
 * everyone else goes through ShopVectorIndex.
 *
 * Labels are assigned sequentially and never reused; deleted labels are only marked (markDelete);
 * a replaced product gets a new label.
 */
import hnswlib from "hnswlib-node";
import type { HierarchicalNSW as NativeIndex } from "hnswlib-node";
import type { Layout } from "./combined-vector";
import type { NormalizedAttributes, ProductAttributes } from "./filters";
import { AttributePostings } from "./attribute-postings";
import { NEIGHBOUR_SLOTS, NeighbourLists } from "./neighbour-lists";
import { QuantizedStore } from "./quantized-store";

export type { NativeIndex };

const { HierarchicalNSW } = hnswlib;

export interface IndexState {
  readonly layout: Layout;
  readonly M: number;
  readonly efConstruction: number;
  /** Capacity of a new or compacted graph's first allocation. */
  initialCapacity: number;

  native: NativeIndex;
  quant: QuantizedStore;
  /** Each product's nearest neighbours by label (neighbour-lists.ts); null for an index without them (photos). */
  neighbours: NeighbourLists | null;
  /** Labels whose neighbour list is still to be made (new products, lists with too many gone entries). */
  pendingNeighbours: Set<number>;
  capacity: number;
  nextLabel: number;
  deleted: number;
  readonly idToLabel: Map<string, number>;
  /** label → id (undefined once deleted) */
  labelToId: (string | undefined)[];
  /** label → normalised attributes for the planner (undefined once deleted) */
  normByLabel: (NormalizedAttributes | undefined)[];
  /** The planner's price order and posting lists over `normByLabel` (rebuilt when that array is replaced). */
  readonly postings: AttributePostings;
  readonly attrs: Map<string, ProductAttributes>;
  /** Estimated bytes of `attrs` (attributeBytes of each entry), kept up to date by setAttrs/deleteAttrs. */
  attrsBytes: number;
  /** Bumped whenever labels are reassigned (compact, reset): a background compaction begun before stops. */
  generation: number;
  /** Set while a save's native/int8 write reads this index's memory (ShopVectorIndex.busy). */
  writing: Promise<void> | undefined;
}

/** An empty hnswlib graph (inner-product space) of the layout's dimension with room for `capacity` points. */
export function newGraph(layout: Layout, M: number, efConstruction: number, capacity: number): NativeIndex {
  const native = new HierarchicalNSW("ip", layout.total);
  native.initIndex({ maxElements: capacity, m: M, efConstruction, randomSeed: 100 });
  return native;
}

/** A graph of the layout's dimension that `readIndex` fills. */
export function unreadGraph(layout: Layout): NativeIndex {
  return new HierarchicalNSW("ip", layout.total);
}

/** An empty index state with room for `capacity` products. */
export function emptyIndexState(
  layout: Layout,
  graph: { M: number; efConstruction: number; initialCapacity: number },
  capacity: number,
  withNeighbours = true,
): IndexState {
  return {
    layout,
    M: graph.M,
    efConstruction: graph.efConstruction,
    initialCapacity: graph.initialCapacity,
    native: newGraph(layout, graph.M, graph.efConstruction, capacity),
    quant: new QuantizedStore(layout, capacity),
    neighbours: withNeighbours ? new NeighbourLists(NEIGHBOUR_SLOTS, capacity) : null,
    pendingNeighbours: new Set(),
    capacity,
    nextLabel: 0,
    deleted: 0,
    idToLabel: new Map(),
    labelToId: [],
    normByLabel: [],
    postings: new AttributePostings(),
    attrs: new Map(),
    attrsBytes: 0,
    generation: 0,
    writing: undefined,
  };
}

export function setAttrs(s: IndexState, id: string, a: ProductAttributes): void {
  const before = s.attrs.get(id);
  if (before) s.attrsBytes -= attributeBytes(id, before);
  s.attrs.set(id, a);
  s.attrsBytes += attributeBytes(id, a);
}

export function deleteAttrs(s: IndexState, id: string): void {
  const before = s.attrs.get(id);
  if (!before) return;
  s.attrsBytes -= attributeBytes(id, before);
  s.attrs.delete(id);
}

/** Estimated heap bytes of one product's id and attributes (stats). */
function attributeBytes(id: string, a: ProductAttributes): number {
  let bytes = 120 + 2 * (id.length + a.productType.length + a.vendor.length);
  for (const t of a.tags) bytes += 24 + 2 * t.length;
  return bytes;
}

/** Resolves when no save is writing from this index (at once when none is). Never rejects. */
export async function whenWritable(s: IndexState): Promise<void> {
  while (s.writing) await s.writing;
}

/** Throws a TypeError unless `a` is a well-formed ProductAttributes. */
export function validateAttributes(a: ProductAttributes): void {
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
