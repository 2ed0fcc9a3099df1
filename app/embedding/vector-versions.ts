/**
 * Versions of how vectors are computed from product data. The stored `vectorTextHash` is the text
 * hash plus TEXT_VECTOR_VERSION and `vectorImageHash` the image hash plus IMAGE_VECTOR_VERSION, so
 * changing a recipe makes every product's stored vectors stale; the reconciler then re-queues them
 * and workers re-embed.
 * Bump TEXT_VECTOR_VERSION whenever `textVector` changes its output for the same input, and
 * IMAGE_VECTOR_VERSION whenever the stored image vectors change (which photos, how they are kept).
 */
export const TEXT_VECTOR_VERSION = "t2";
/** i2: per-photo vectors (`Product.imageVectors`, first MAX_PRODUCT_IMAGES photos) besides the mean. */
export const IMAGE_VECTOR_VERSION = "i2";

export function textVectorKey(textHash: string): string {
  return `${textHash}.${TEXT_VECTOR_VERSION}`;
}

export function imageVectorKey(imageHash: string): string {
  return `${imageHash}.${IMAGE_VECTOR_VERSION}`;
}

export const CURRENT_TEXT_SUFFIX = `.${TEXT_VECTOR_VERSION}`;
export const CURRENT_IMAGE_SUFFIX = `.${IMAGE_VECTOR_VERSION}`;

/** The stored image vectors of a product keep at most this many photos (the first ones). */
export const MAX_PRODUCT_IMAGES = 4;
