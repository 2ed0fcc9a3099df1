/**
 * A big shop's learned projections (decision 0019): fitted on a full build from a sample of its own
 * rows, as the indexes store them — the combined index's image channel (centred on the shop's mean)
 * and text channel (with the shop's facets), and the per-photo index's photos. Fixed for an index
 * build, like the shop's statistics; a build after the catalog drifted fits them again.
 */
import type { Db } from "../db.server";
import type { ChannelProjections } from "../search/shop-vector-index.server";
import { fitProjection, type Projection } from "../search/vector-projection";
import { yielder } from "../shared/event-loop-turns";
import type { IndexSpec } from "./index-spec";
import { indexedProduct, INDEXED_ROW_SELECT } from "./row-vectors";
import type { ShopStatistics } from "./shop-statistics.server";

/** Rows sampled for a fit (spread evenly over the catalog's ids). */
export const SAMPLE_ROWS = 1_024;
/** Photos sampled for the photo fit, at most. */
const SAMPLE_PHOTOS = 2_048;
const LOAD_CHUNK = 400;
const YIELD_EVERY_MS = 8;

export interface ShopProjections {
  index: ChannelProjections;
  photos?: Projection;
}

/** Fits the shop's projections when the catalog (`ids`, the products to build from) is big enough; none otherwise. */
export async function fitShopProjections(db: Db, spec: IndexSpec, shop: string, ids: string[], stats: ShopStatistics): Promise<ShopProjections> {
  const cfg = spec.projection;
  if (!cfg || ids.length < cfg.minProducts) return { index: {} };
  const step = ids.length / Math.min(ids.length, SAMPLE_ROWS);
  const sample = Array.from({ length: Math.min(ids.length, SAMPLE_ROWS) }, (_, i) => ids[Math.floor(i * step)]);
  const images: Float32Array[] = [];
  const texts: Float32Array[] = [];
  const photos: Float32Array[] = [];
  for (let i = 0; i < sample.length; i += LOAD_CHUNK) {
    const rows = await db.product.findMany({
      where: { shopDomain: shop, id: { in: sample.slice(i, i + LOAD_CHUNK) }, status: "ACTIVE", embeddedAt: { not: null } },
      select: INDEXED_ROW_SELECT,
    });
    for (const row of rows) {
      const p = indexedProduct(spec, row, stats);
      if (p.vectors.image) images.push(p.vectors.image);
      if (p.vectors.text) texts.push(p.vectors.text);
      for (const photo of p.photos) if (photos.length < SAMPLE_PHOTOS) photos.push(photo);
    }
  }
  const pause = yielder(YIELD_EVERY_MS);
  const index: ChannelProjections = {};
  const fit = (samples: Float32Array[], dims: number) => (dims > 0 ? fitProjection(samples, dims, { pause }) : null);
  const image = await fit(images, cfg.image);
  if (image) index.image = image;
  const text = await fit(texts, cfg.text);
  if (text) index.text = text;
  const photo = await fit(photos, cfg.photos);
  return { index, ...(photo ? { photos: photo } : {}) };
}

