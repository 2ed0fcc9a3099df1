/**
 * A shop's statistics, fixed for an index build until the catalog drifts: the mean image vector
 * the combined index's image channel is centred on (catalog-centring.ts), and the facet tags its
 * text channel carries (tag-facets.ts). Computed on a fresh build in one extra pass over the image
 * vectors and tags alone, chunk by chunk.
 */
import type { Db } from "../db.server";
import { MeanAccumulator, meanIsStale, type CatalogMean } from "../embedding/catalog-centring";
import { detectFacets, facetsAreStale, type TagFacets } from "../embedding/text/tag-facets";
import { imageVectorOf } from "./row-vectors";
import type { IndexSpec } from "./index-spec";
import type { LiveCatalog } from "./live-catalog";

const LOAD_CHUNK = 400;

export interface ShopStatistics {
  imageMean: CatalogMean | null;
  facets: TagFacets;
}

/** The statistics of the products `ids` (those still live and embedded). */
export async function readShopStatistics(db: Db, spec: IndexSpec, shop: string, ids: string[]): Promise<ShopStatistics> {
  const acc = new MeanAccumulator();
  const tagLists: string[][] = [];
  for (let i = 0; i < ids.length; i += LOAD_CHUNK) {
    const chunk = await db.product.findMany({
      where: { shopDomain: shop, id: { in: ids.slice(i, i + LOAD_CHUNK) }, status: "ACTIVE", embeddedAt: { not: null } },
      select: { imageVector: true, modelId: true, tags: true },
    });
    for (const row of chunk) {
      const image = imageVectorOf(spec, row);
      if (image) acc.add(image);
      tagLists.push(JSON.parse(row.tags) as string[]);
    }
  }
  return { imageMean: acc.result(), facets: detectFacets(tagLists) };
}

/** The statistics no longer describe the catalog (it grew or shrank a lot): the index wants a rebuild with new ones. */
export function statisticsStale(catalog: Pick<LiveCatalog, "imageMean" | "facets" | "index" | "images">): boolean {
  return meanIsStale(catalog.imageMean?.count ?? 0, catalog.images.size) || facetsAreStale(catalog.facets, catalog.index.size);
}
