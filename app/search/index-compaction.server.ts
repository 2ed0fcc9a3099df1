/**
 * Compaction of a ShopVectorIndex's graph: a product whose vector changes gets a new graph node and
 * its old one is only marked deleted, so past COMPACT_DELETED_FRACTION of the slots the graph is
 * rebuilt from the live points with fresh, dense labels.
 *
 * A rebuild costs an insert per live product (~5 ms at 1,844-d and M 24: 105 s for 20k products,
 * scripts/bench-compact.ts). `compactNow` spends it in one block (an explicit compact());
 * the automatic one (`compactInBackground`) runs in slices of COMPACT_SLICE_MS while the old graph
 * serves and takes changes.
 */
import { nextTurn } from "../shared/event-loop-turns";
import type { NormalizedAttributes } from "./filters";
import { newGraph, whenWritable, type IndexState, type NativeIndex } from "./index-state.server";
import { QuantizedStore } from "./quantized-store";

const COMPACT_DELETED_FRACTION = 0.2;
/** Longest stretch of a background compaction before it hands the event loop back (ms). */
const COMPACT_SLICE_MS = 8;

/** True when marked-deleted points exceed COMPACT_DELETED_FRACTION of the capacity. */
export function needsCompaction(s: IndexState): boolean {
  return s.deleted > COMPACT_DELETED_FRACTION * s.capacity;
}

/** The live labels in order, and an empty graph and int8 store with room for them and half as many again. */
function compactionTarget(s: IndexState): { live: number[]; capacity: number; native: NativeIndex; quant: QuantizedStore } {
  const live: number[] = [];
  for (let l = 0; l < s.nextLabel; l++) if (s.labelToId[l] !== undefined) live.push(l);
  const capacity = Math.max(s.initialCapacity, Math.ceil(live.length * 1.5), 1);
  return { live, capacity, native: newGraph(s.layout, s.M, s.efConstruction, capacity), quant: new QuantizedStore(s.layout, capacity) };
}

/**
 * Rebuilds the graph from the live points with fresh, dense labels, in one synchronous block.
 * The caller has checked that no save is writing the index.
 */
export function compactNow(s: IndexState): void {
  s.generation++; // a background compaction under way is abandoned
  const { live, capacity: newCapacity, native, quant } = compactionTarget(s);
  const labelToId: (string | undefined)[] = [];
  const normByLabel: (NormalizedAttributes | undefined)[] = [];
  live.forEach((oldLabel, newLabel) => {
    native.addPoint(s.native.getPoint(oldLabel), newLabel);
    quant.copyRow(s.quant, oldLabel, newLabel);
    const id = s.labelToId[oldLabel]!;
    labelToId[newLabel] = id;
    normByLabel[newLabel] = s.normByLabel[oldLabel];
    s.idToLabel.set(id, newLabel);
  });
  const oldToNew = new Int32Array(s.nextLabel).fill(-1);
  live.forEach((oldLabel, newLabel) => (oldToNew[oldLabel] = newLabel));
  renumberNeighbours(s, oldToNew, newCapacity);
  s.native = native;
  s.quant = quant;
  s.labelToId = labelToId;
  s.normByLabel = normByLabel;
  s.capacity = newCapacity;
  s.nextLabel = live.length;
  s.deleted = 0;
}

/**
 * What compactNow does, a few ms at a time, so that an index with many replaced or removed
 * products is rebuilt without holding the event loop (at M 24 / efConstruction 200 and 1,844-d a
 * product costs ~5 ms: 105 s for 20k products, which compactNow spends in one block; bench-compact.ts).
 *
 * The index keeps serving and changing meanwhile; the new graph is built beside it from the live
 * points as they were when each was copied, then, in one synchronous step once no save is writing
 * the index, every product changed, added or removed since is brought up to date and the new
 * graph takes over. Until then the old graph and the new one are both in memory. A synchronous
 * compactNow in between abandons it. The catch-up is as long as the changes made meanwhile.
 */
export async function compactInBackground(s: IndexState): Promise<void> {
  const generation = s.generation;
  await nextTurn(); // not inside the mutation that asked for it
  const fresh = compactionTarget(s);
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
    native.addPoint(s.native.getPoint(fromLabel), next);
    quant.copyRow(s.quant, fromLabel, next);
    source[next] = fromLabel;
    newLabelOf.set(id, next);
    next++;
  };

  let slice = performance.now();
  for (const label of live) {
    if (performance.now() - slice > COMPACT_SLICE_MS) {
      await nextTurn();
      if (generation !== s.generation) return;
      slice = performance.now();
    }
    const id = s.labelToId[label];
    if (id !== undefined) add(label, id); // else removed or replaced meanwhile: caught up below
  }
  // A save may be writing the old graph from another thread: take over once it is done, with no
  // await between the catch-up and the swap.
  while (s.writing) await whenWritable(s);
  if (generation !== s.generation) return;

  let deleted = 0;
  const labelToId: (string | undefined)[] = [];
  const normByLabel: (NormalizedAttributes | undefined)[] = [];
  for (const [id, newLabel] of newLabelOf) {
    const current = s.idToLabel.get(id);
    if (current !== undefined && current === source[newLabel]) {
      labelToId[newLabel] = id;
      normByLabel[newLabel] = s.normByLabel[current];
    } else {
      native.markDelete(newLabel); // removed, or replaced by a newer point, since it was copied
      newLabelOf.delete(id);
      deleted++;
    }
  }
  for (const [id, current] of s.idToLabel) {
    if (newLabelOf.has(id)) continue;
    add(current, id); // added or replaced since the copy started
    labelToId[next - 1] = id;
    normByLabel[next - 1] = s.normByLabel[current];
  }
  const oldToNew = new Int32Array(s.nextLabel).fill(-1);
  for (let l = 0; l < next; l++) if (labelToId[l] !== undefined) oldToNew[source[l]] = l;
  renumberNeighbours(s, oldToNew, capacity);
  for (const [id, label] of newLabelOf) s.idToLabel.set(id, label);
  s.native = native;
  s.quant = quant;
  s.labelToId = labelToId;
  s.normByLabel = normByLabel;
  s.capacity = capacity;
  s.nextLabel = next;
  s.deleted = deleted;
  s.generation++;
}

/**
 * The neighbour lists follow the labels' new numbers (entries of gone labels dropped), and so do the
 * labels still waiting for a list; a product whose list held gone entries gets a new one.
 */
function renumberNeighbours(s: IndexState, oldToNew: Int32Array, capacity: number): void {
  if (!s.neighbours) return;
  s.neighbours = s.neighbours.remap(oldToNew, capacity);
  const pending = new Set<number>();
  for (const old of s.pendingNeighbours) {
    const l = old < oldToNew.length ? oldToNew[old] : -1;
    if (l >= 0) pending.add(l);
  }
  s.pendingNeighbours = pending;
}
