/**
 * What a ShopVectorIndex saves and how it is read back: the native graph, the int8 store and the
 * meta (build parameters, labels ↔ ids, attributes), written through the crash-safe snapshot files
 * of index-persistence.server.ts.
 *
 * The meta is JSON lines — a head, then the live products in pieces of META_PRODUCTS_PER_PIECE —
 * made a piece at a time when saving and parsed, checked and indexed a piece at a time when
 * loading, handing the event loop back every LOAD_YIELD_EVERY_MS (one JSON.stringify / JSON.parse
 * of a 20k-product shop's ~5 MB meta took 35–80 ms / ~125 ms). A meta of the previous release (one
 * JSON document) is still read, in one go.
 */
import { CHANNELS, makeLayout, type ChannelDims, type ChannelProjections, type ChannelWeights } from "./combined-vector";
import { nextTurn, yielder } from "../shared/event-loop-turns";
import { jsonLines } from "../shared/json-lines";
import { normalizeAttributes, type ProductAttributes } from "./filters";
import { readSnapshot, writeSnapshot } from "./index-persistence.server";
import { AttributePostings } from "./attribute-postings";
import { setAttrs, unreadGraph, validateAttributes, type IndexState } from "./index-state.server";
import { NEIGHBOUR_SLOTS, NeighbourLists } from "./neighbour-lists";
import { QuantizedStore } from "./quantized-store";

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

interface PersistedMeta {
  version: number;
  /** The channels' input dimensions. */
  dims: ChannelDims;
  /**
   * Channels stored projected, with their output dimension; each basis (outDim × the channel's
   * input dimension, float32) is saved after the neighbour lists in the int8 store's file.
   * Absent before learned projections (every channel stored as given).
   */
  projected?: Partial<Record<"image" | "text", number>>;
  weights: ChannelWeights;
  M: number;
  efConstruction: number;
  initialCapacity: number;
  capacity: number;
  nextLabel: number;
  deleted: number;
  /**
   * Slots of the neighbour lists saved after the int8 store in its file (neighbour-lists.ts);
   * absent in snapshots of releases before the lists: they are made again in the background.
   */
  neighbourSlots?: number;
  /**
   * Written by releases before 2026-12-06 (the planner config of the saving process) and ignored:
   * a snapshot pinned its planner, so ef tiers tuned later never reached a saved shop, and JSON
   * turned an `Infinity` tier bound into null.
   */
  planner?: unknown;
  products: [number, string, ProductAttributes][];
}

/**
 * Starts saving `s` to `dir` (see index-persistence.server.ts) and marks it busy (`s.writing`)
 * until the native index and the int8 store are written; resolves once the snapshot is in place.
 * One synchronous stretch (a few ms at 20k products) captures the state and starts the native
 * write, so the index is busy before anything else can run; the rest of the save (meta, fsync,
 * checksums, renames) works on copies and files. The caller serialises saves of one index.
 */
export async function saveIndexState(s: IndexState, dir: string): Promise<void> {
  const native = s.native; // the write's closure keeps it alive until the write ends
  const write = writeSnapshot(dir, {
    writeIndex: async (file) => {
      if (!(await native.writeIndex(file))) throw new Error("hnswlib could not write the index");
    },
    quant: [...s.quant.views(s.nextLabel), ...(s.neighbours?.views(s.nextLabel) ?? []), ...basisViews(s.layout.projections)],
    meta: metaPieces(s),
  });
  const released = write.released.then(() => {
    s.writing = undefined;
  });
  s.writing = released;
  await write.done;
}

/**
 * The meta JSON (PersistedMeta) of the current state, in pieces of META_PRODUCTS_PER_PIECE
 * products. The state is captured now (label → id and → attributes, a few ms at 20k products;
 * stored attribute objects are replaced, never changed in place); the JSON is made as the pieces
 * are taken — one JSON.stringify of a 20k-product shop's meta (~5 MB) took 35–80 ms.
 */
function metaPieces(s: IndexState): Iterable<string> {
  const head: Omit<PersistedMeta, "products"> = {
    version: META_VERSION,
    dims: s.layout.inputDims,
    ...projectedDims(s.layout.projections),
    weights: s.layout.weights,
    M: s.M,
    efConstruction: s.efConstruction,
    initialCapacity: s.initialCapacity,
    capacity: s.capacity,
    nextLabel: s.nextLabel,
    deleted: s.deleted,
    ...(s.neighbours ? { neighbourSlots: s.neighbours.slots } : {}),
  };
  const n = s.nextLabel;
  const ids = s.labelToId.slice(0, n);
  const attrs: (ProductAttributes | undefined)[] = new Array(n);
  for (let l = 0; l < n; l++) {
    const id = ids[l];
    if (id !== undefined) attrs[l] = s.attrs.get(id);
  }
  return metaJsonPieces(JSON.stringify(head), n, ids, attrs);
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
 * Reads a saved index's state; null when missing, truncated or corrupt (never throws). The
 * snapshot holds the graph and its build parameters, not the query planner (the caller plans with
 * its own).
 */
export async function loadIndexState(dir: string, withNeighbours = true): Promise<IndexState | null> {
  try {
    const snap = await readSnapshot(dir);
    if (!snap) return null;
    // A big shop's meta (20k products: ~5 MB) is parsed, checked and indexed a piece at a time,
    // with the event loop handed back every few ms (a web process may be serving other shops).
    const pause = yielder(LOAD_YIELD_EVERY_MS);
    const meta = await parseMeta(snap.meta, pause);
    if (!meta) return null;
    await nextTurn();

    const projections: ChannelProjections = {};
    for (const c of ["image", "text"] as const) {
      const out = meta.projected?.[c];
      if (out !== undefined) projections[c] = { inDim: meta.dims[c], outDim: out, basis: new Float32Array(out * meta.dims[c]) };
    }
    const layout = makeLayout(meta.dims, meta.weights, projections);
    const native = unreadGraph(layout);
    const quant = new QuantizedStore(layout, meta.capacity);
    const saved = meta.neighbourSlots !== undefined;
    const lists = saved || withNeighbours ? new NeighbourLists(meta.neighbourSlots ?? NEIGHBOUR_SLOTS, meta.capacity) : null;
    const listViews = saved ? lists!.views(meta.nextLabel) : [];
    // The graph (hnswlib, on the thread pool) and the int8 store (read and checked here) at once:
    // 100k products, ~0.5 s and ~0.3 s of a restart's first answer one after the other.
    const [, quantRead] = await Promise.all([native.readIndex(snap.indexPath), snap.readQuant([...quant.views(meta.nextLabel), ...listViews, ...basisViews(projections)])]);
    if (native.getNumDimensions() !== layout.total || native.getCurrentCount() !== meta.nextLabel || native.getMaxElements() !== meta.capacity) {
      return null;
    }
    if (!quantRead) return null;
    const neighbours = withNeighbours ? lists : null;
    const s: IndexState = {
      layout,
      M: meta.M,
      efConstruction: meta.efConstruction,
      initialCapacity: meta.initialCapacity,
      native,
      quant,
      neighbours,
      pendingNeighbours: new Set(),
      capacity: meta.capacity,
      nextLabel: meta.nextLabel,
      deleted: meta.deleted,
      idToLabel: new Map(),
      labelToId: [],
      normByLabel: [],
      postings: new AttributePostings(),
      attrs: new Map(),
      attrsBytes: 0,
      generation: 0,
      writing: undefined,
    };
    for (const [label, id, attrs] of meta.products) {
      await pause();
      s.idToLabel.set(id, label);
      s.labelToId[label] = id;
      s.normByLabel[label] = normalizeAttributes(attrs);
      setAttrs(s, id, attrs);
      // A list a save caught before it was made (or a snapshot from before the lists) is made again.
      if (neighbours && !neighbours.known(label)) s.pendingNeighbours.add(label);
    }
    return s;
  } catch {
    return null;
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
  if (m.neighbourSlots !== undefined && (!isInt(m.neighbourSlots, 1) || m.neighbourSlots >= 255)) return null;
  if (m.projected !== undefined) {
    if (typeof m.projected !== "object" || m.projected === null) return null;
    for (const [c, out] of Object.entries(m.projected)) {
      if ((c !== "image" && c !== "text") || !isInt(out, 1) || (out as number) >= m.dims[c]) return null;
    }
  }
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

/** The meta's `projected` (each projected channel's output dimension); nothing when none is. */
function projectedDims(projections: ChannelProjections): Pick<PersistedMeta, "projected"> {
  const entries = (["image", "text"] as const).flatMap((c) => (projections[c] ? [[c, projections[c].outDim] as const] : []));
  return entries.length > 0 ? { projected: Object.fromEntries(entries) } : {};
}

/** The projections' bases as bytes, image then text (saved after the int8 store and the lists). */
function basisViews(projections: ChannelProjections): Buffer[] {
  return (["image", "text"] as const).flatMap((c) => {
    const b = projections[c]?.basis;
    return b ? [Buffer.from(b.buffer, b.byteOffset, b.byteLength)] : [];
  });
}
