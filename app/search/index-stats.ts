/**
 * A ShopVectorIndex's size and estimated memory (the live catalogs' memory budget and the
 * benchmarks read it).
 */
import type { IndexState } from "./index-state.server";

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
  memory: { hnswBytes: number; quantizedBytes: number; neighbourBytes: number; attributesBytes: number; projectionBytes: number; totalBytes: number; usedBytes: number };
}

export function indexStats(s: IndexState): ShopVectorIndexStats {
  const D = s.layout.total;
  const M = s.M;
  const size = s.idToLabel.size;
  // hnswlib memory model: level-0 block per slot (header + 2M links + data + label),
  // per-slot bookkeeping (levels, link-list pointer, mutex), upper-level links
  // (expected 1/(M-1) levels per element), label hash map, 65,536 label-op mutexes,
  // one visited list (2 bytes per slot).
  const level0 = 4 + 2 * M * 4 + D * 4 + 8;
  const perSlot = level0 + 4 + 8 + 40 + 2;
  const upper = (s.nextLabel * (M * 4 + 4)) / Math.max(1, M - 1);
  const labelMap = s.nextLabel * 40;
  const fixed = 65_536 * 40;
  const hnswBytes = Math.round(s.capacity * perSlot + upper + labelMap + fixed);
  // Slots beyond nextLabel are allocated but never touched, so they are not resident.
  const hnswUsedBytes = Math.round(s.nextLabel * perSlot + upper + labelMap + fixed);
  // Kept as products change: summing it here walked every product's tags on each call (after
  // every catalog refresh, ~4 ms per index at 20k products in the soak's profile).
  const attributesBytes = s.attrsBytes + s.labelToId.length * 8 + s.postings.bytes;
  const quantizedBytes = s.quant.bytes;
  const quantizedUsedBytes = s.nextLabel * (D + 12);
  const neighbourBytes = s.neighbours?.bytes ?? 0;
  // The learned projections' bases (vector-projection.ts), float32.
  const projectionBytes = (s.layout.projections.image?.basis.byteLength ?? 0) + (s.layout.projections.text?.basis.byteLength ?? 0);
  const neighbourUsedBytes = s.neighbours ? s.nextLabel * (s.neighbours.slots * 8 + 1) : 0;
  return {
    size,
    deleted: s.deleted,
    capacity: s.capacity,
    dim: D,
    M,
    efConstruction: s.efConstruction,
    rawVectorBytes: size * D * 4,
    memory: {
      hnswBytes,
      quantizedBytes,
      neighbourBytes,
      attributesBytes,
      projectionBytes,
      totalBytes: hnswBytes + quantizedBytes + neighbourBytes + attributesBytes + projectionBytes,
      usedBytes: hnswUsedBytes + quantizedUsedBytes + neighbourUsedBytes + attributesBytes + projectionBytes,
    },
  };
}
