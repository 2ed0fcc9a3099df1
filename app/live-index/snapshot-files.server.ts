/**
 * A shop's snapshot on disk (DATA_DIR/indexes/<shop>/): the combined index, the per-photo index
 * (images/) and the sidecar of cards, row versions and the shop's statistics
 * (catalog-sidecar.server.ts). A restart loads them and refreshes only the difference. A missing
 * or corrupt file reads as nothing (a rebuild from the database), and so does a snapshot made with
 * another image or text model, or other channel dimensions.
 *
 * A save is no long stretch on the event loop (20k products × 1,844-d: longest block 13–51 ms,
 * was 177–757 ms, side by side; scripts/bench-save.ts): the native index and the int8 store are
 * written on libuv's thread pool from the live memory, so while that write runs an index is `busy`
 * and refuses changes.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db.server";
import { facetsFromGroups, groupShares } from "../embedding/text/tag-facets";
import { HASHED_TEXT_MODEL_ID } from "../embedding/vector-versions";
import { ProductImageIndex } from "../search/product-image-index.server";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { yielder } from "../shared/event-loop-turns";
import { readSidecar, writeSidecar, type SidecarColumns, type SidecarHeader } from "./catalog-sidecar.server";
import { indexFits, type IndexSpec } from "./index-spec";
import type { LiveCard, ShopEntry } from "./live-catalog";
import { shopExists } from "./shop-state.server";

/** Longest stretch of snapshot checking between two turns of the event loop. */
const YIELD_EVERY_MS = 10;

export function snapshotDir(dataDir: string, shop: string): string {
  return path.join(dataDir, "indexes", shop);
}

function imagesDir(dataDir: string, shop: string): string {
  return path.join(snapshotDir(dataDir, shop), "images");
}

export type Snapshot = Pick<ShopEntry, "index" | "imageMean" | "facets" | "cards" | "rowVersions"> & {
  /**
   * The per-photo index, still being read: the combined index and the cards are enough to answer
   * similar products, so a restart serves them without waiting for it (100k products: ~1 s of
   * reading). Null when it is missing or unreadable, or not of this process' model.
   */
  photos: Promise<ProductImageIndex | null>;
};

/**
 * The shop's snapshot if there is one of this process' models and dimensions, else null. Its
 * per-photo index arrives later (`photos`); match it to the cards with `photosOfCards`.
 */
export async function readSnapshot(spec: IndexSpec, dataDir: string, shop: string): Promise<Snapshot | null> {
  const dir = snapshotDir(dataDir, shop);
  try {
    // Both at once: the index's native read and checks run on the thread pool while the JS thread
    // parses the sidecar. The photo index is read after them: reading it beside them delayed a
    // 100k-product shop's first answer by as long as it took (~1 s).
    const [sidecar, index] = await Promise.all([readSidecar<LiveCard>(dir), ShopVectorIndex.load(dir)]);
    const imageMean = sidecar?.imageMean ? { mean: Float32Array.from(sidecar.imageMean.mean), count: sidecar.imageMean.count } : null;
    if (
      !sidecar ||
      sidecar.imageModelId !== spec.imageModelId ||
      (sidecar.textModelId ?? HASHED_TEXT_MODEL_ID) !== spec.textModelId ||
      (imageMean && imageMean.mean.length !== spec.imageDim) ||
      !index ||
      !indexFits(spec, index)
    ) {
      index?.retire(); // an old snapshot's index would make its neighbour lists in the background
      return null;
    }
    const cards = new Map<string, LiveCard>();
    const rowVersions = new Map<string, number>();
    const pause = yielder(YIELD_EVERY_MS); // each pass below: ~10 ms at 20k products
    for (const [id, version, card] of sidecar.rows) {
      await pause();
      if (!index.has(id)) continue;
      cards.set(id, card);
      rowVersions.set(id, version);
    }
    for (const id of [...index.ids()]) {
      await pause();
      if (!cards.has(id)) index.remove(id);
    }
    const photos = ProductImageIndex.load(imagesDir(dataDir, shop))
      .then((images) => (images && images.dim === spec.imageDim ? images : null))
      .catch(() => null);
    return { index, photos, imageMean, facets: facetsFromGroups(sidecar.facets, sidecar.facetsCount, sidecar.facetShares), cards, rowVersions };
  } catch {
    return null; // missing or unreadable: rebuild from the database
  }
}

/**
 * Matches a snapshot's per-photo index to the cards it is served with: drops products that are
 * not among them, and returns the cards' products it has no photos of — to be read again from the
 * database (the two indexes are saved one after the other, so they may differ by a few products;
 * a product without a photo is among them too).
 */
export async function photosOfCards(images: ProductImageIndex, cards: ReadonlyMap<string, unknown>): Promise<string[]> {
  const pause = yielder(YIELD_EVERY_MS);
  for (const id of [...images.productIds()]) {
    await pause();
    if (!cards.has(id)) images.removeProduct(id);
  }
  const missing: string[] = [];
  for (const id of cards.keys()) {
    await pause();
    if (!images.has(id)) missing.push(id);
  }
  return missing;
}

/**
 * Writes the entry's snapshot. The sidecar's rows and statistics are captured first, with the two
 * index objects they go with; then each index captures its own state when its save starts, and is
 * busy while its native write runs (requests are served meanwhile; a refresh waits just for that).
 * So neither index is older than the sidecar: a product changed in between is reloaded at the next
 * start (its row version differs), and a crash in between only makes that start reload more.
 */
export async function writeSnapshot(spec: IndexSpec, dataDir: string, db: Db, e: ShopEntry): Promise<void> {
  // The indexes with the statistics they were built with (a rebuild may swap in new ones meanwhile).
  const { index, images } = e;
  const ids = Array.from(e.cards.keys());
  const versions = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) versions[i] = e.rowVersions.get(ids[i]) ?? 0;
  const sidecar: SidecarHeader & { rows: SidecarColumns<LiveCard> } = {
    imageModelId: spec.imageModelId,
    textModelId: spec.textModelId,
    version: e.version,
    imageMean: e.imageMean && { mean: Array.from(e.imageMean.mean), count: e.imageMean.count },
    facets: e.facets.groups,
    facetsCount: e.facets.count,
    facetShares: groupShares(e.facets),
    rows: { ids, versions, cards: Array.from(e.cards.values()) }, // cards are replaced, never changed in place
  };
  const dir = snapshotDir(dataDir, e.shop);
  await mkdir(dir, { recursive: true });
  await index.save(dir);
  await images.save(imagesDir(dataDir, e.shop));
  await writeSidecar(dir, sidecar);
  await rm(path.join(dir, "catalog.json"), { force: true }); // the single-JSON sidecar of earlier versions
  // shop/redact deletes the shop's rows, then its directory: a save that was running meanwhile
  // (in this process or another) must not put the shop's data back on disk. Checked after the
  // write, so whichever order the two finish in, the directory does not outlive the shop.
  if (!(await shopExists(db, e.shop))) await rm(dir, { recursive: true, force: true });
}
