/**
 * Vector assembly: a product row (as the database holds it) → what the two indexes store — the
 * combined index's channel vectors (image centred on the shop's mean, colour, text with the shop's
 * facet values), the per-photo vectors, the filter attributes — and its card.
 *
 * Models: the image channel takes only rows whose `modelId` is this process' image model, the text
 * channel only rows whose text key (vector-versions.ts) names this process' text model and whose
 * vector has its dimension; other rows join without that channel until the reconciler has them
 * re-embedded.
 */
import { centre, type CatalogMean } from "../embedding/catalog-centring";
import type { TagFacets } from "../embedding/text/tag-facets";
import { textChannelVector } from "../embedding/text/text-channel";
import { fromBytes, unpackVectors } from "../embedding/vector-codec";
import { MAX_PRODUCT_IMAGES, textModelOfKey } from "../embedding/vector-versions";
import type { ProductAttributes } from "../search/filters";
import type { ChannelVectors } from "../search/shop-vector-index.server";
import type { IndexSpec } from "./index-spec";
import type { LiveCard } from "./live-catalog";
import { cardFromRow, type CardSource } from "./product-card";

/** The columns a row is indexed from (with its card's). */
export const INDEXED_ROW_SELECT = {
  id: true,
  handle: true,
  title: true,
  priceText: true,
  price: true,
  currency: true,
  imageUrls: true,
  onlineStoreUrl: true,
  variants: true,
  available: true,
  productType: true,
  vendor: true,
  tags: true,
  updatedAt: true,
  status: true,
  embeddedAt: true,
  modelId: true,
  imageVector: true,
  imageVectors: true,
  colorVector: true,
  textVector: true,
  vectorTextHash: true,
  imageHash: true,
  vectorImageHash: true,
} as const;

export interface IndexedRow extends CardSource {
  price: number;
  available: boolean;
  productType: string;
  vendor: string;
  tags: string;
  modelId: string | null;
  imageVector: Uint8Array | null;
  imageVectors: Uint8Array | null;
  colorVector: Uint8Array | null;
  textVector: Uint8Array | null;
  vectorTextHash: string | null;
  /** The photos' hash now, and the one the stored vectors were made from ("<hash>.<recipe>"). */
  imageHash: string;
  vectorImageHash: string;
}

/** The row's mean image vector if it was made by this process' image model with its dimension. */
export function imageVectorOf(spec: IndexSpec, row: { imageVector: Uint8Array | null; modelId: string | null }): Float32Array | undefined {
  const v = row.imageVector && row.modelId === spec.imageModelId ? fromBytes(row.imageVector) : undefined;
  return v && v.length === spec.imageDim ? v : undefined;
}

/** The row's text vector if its key names this process' text model and it has its dimension. */
export function textVectorOf(spec: IndexSpec, row: { textVector: Uint8Array | null; vectorTextHash: string | null }): Float32Array | undefined {
  const v = row.textVector && textModelOfKey(row.vectorTextHash) === spec.textModelId ? fromBytes(row.textVector) : undefined;
  return v && v.length === spec.textDim ? v : undefined;
}

export interface IndexedProduct {
  vectors: ChannelVectors;
  /** Per-photo image vectors (the photo search's best-photo index). */
  photos: Float32Array[];
  attrs: ProductAttributes;
  card: LiveCard;
}

/** What the indexes store for `row`, given the shop's statistics (image mean, facets). */
export function indexedProduct(spec: IndexSpec, row: IndexedRow, stats: { imageMean: CatalogMean | null; facets: TagFacets }): IndexedProduct {
  const vectors: ChannelVectors = {};
  let photos: Float32Array[] = [];
  const image = imageVectorOf(spec, row);
  if (image) {
    vectors.image = stats.imageMean ? centre(image, stats.imageMean.mean) : image;
    // Rows embedded before per-photo vectors existed take part with their mean vector.
    photos = row.imageVectors ? unpackVectors(row.imageVectors, spec.imageDim) : [image];
  }
  if (row.colorVector) vectors.color = fromBytes(row.colorVector);
  const tags = JSON.parse(row.tags) as string[];
  const text = textChannelVector(textVectorOf(spec, row), stats.facets, tags);
  if (text) vectors.text = text;
  const attrs: ProductAttributes = { price: row.price, available: row.available, productType: row.productType, vendor: row.vendor, tags };
  const card = cardFromRow(row);
  // A variant names its photo by its place among the stored photos; the per-photo vectors are of
  // those photos, in that order, only when they were made from these photos and none was skipped.
  // Until the row is re-embedded (or when a photo could not be read) the card stays the product's.
  if (card.variants !== undefined) {
    const stored = Math.min((JSON.parse(row.imageUrls) as string[]).length, MAX_PRODUCT_IMAGES);
    if (!row.vectorImageHash.startsWith(`${row.imageHash}.`) || photos.length !== stored) {
      card.variants = undefined;
      card.photos = undefined;
    }
  }
  return { vectors, photos, attrs, card };
}
