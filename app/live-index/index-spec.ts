/**
 * What this process' shop indexes are made of — the image and text models, their dimensions, the
 * graph density — and the empty indexes of that shape. Snapshots and rows of another shape are
 * refused (snapshots) or join without that channel (rows): one index never mixes dimensions.
 */
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { textChannelDim } from "../embedding/text/text-channel";
import { ProductImageIndex } from "../search/product-image-index.server";
import { ShopVectorIndex, type ChannelProjections, type ChannelWeights, type GraphParams } from "../search/shop-vector-index.server";
import type { Projection } from "../search/vector-projection";
import type { ProjectionConfig } from "./projection-config";

export interface IndexSpec {
  imageModelId: string;
  imageDim: number;
  /** The text channel's model (its vectors' key, vector-versions.ts) and dimension. */
  textModelId: string;
  textDim: number;
  /** The weights of a shop without stored weights. */
  weights: ChannelWeights;
  graph: GraphParams;
  /** Learned projections for big shops (projection-config.ts); null: every vector stored as the models give it. */
  projection: ProjectionConfig | null;
}

export function emptyIndex(spec: IndexSpec, weights: ChannelWeights = spec.weights, projections: ChannelProjections = {}): ShopVectorIndex {
  return new ShopVectorIndex({
    dims: { image: spec.imageDim, color: COLOR_DIM, text: textChannelDim(spec.textDim) },
    weights,
    projections,
    ...spec.graph,
  });
}

export function emptyImages(spec: IndexSpec, projection?: Projection): ProductImageIndex {
  return ProductImageIndex.create(spec.imageDim, undefined, spec.graph, projection);
}

/** Whether either index was built with another graph density than this process builds. */
export function graphOutdated(spec: IndexSpec, indexes: { index: ShopVectorIndex; images: ProductImageIndex }): boolean {
  const want = spec.graph;
  return [indexes.index.graph, indexes.images.graph].some((g) => g.M !== want.M || g.efConstruction !== want.efConstruction);
}

/** Whether a loaded combined index has this process' channel dimensions. */
export function indexFits(spec: IndexSpec, index: ShopVectorIndex): boolean {
  return index.dims.image === spec.imageDim && index.dims.text === textChannelDim(spec.textDim) && index.dims.color === COLOR_DIM;
}

/**
 * Whether the indexes' projections differ from what this process would fit for the shop (a snapshot
 * of a release before projections, of a process with another VECTOR_PROJECTION, or a shop that grew
 * past or shrank below its threshold): rebuilt in the background, as for the graph density. A build
 * of this process (`projectionFitted`) is not rebuilt for it again, even where a fit was not possible.
 */
export function projectionDue(spec: IndexSpec, entry: { index: ShopVectorIndex; images: ProductImageIndex; projectionFitted?: boolean }): boolean {
  if (entry.projectionFitted) return false;
  const want = spec.projection && entry.index.size >= spec.projection.minProducts ? spec.projection : { image: 0, text: 0, photos: 0 };
  const p = entry.index.projections;
  return (p.image?.outDim ?? 0) !== want.image || (p.text?.outDim ?? 0) !== want.text || (entry.images.projection?.outDim ?? 0) !== want.photos;
}
