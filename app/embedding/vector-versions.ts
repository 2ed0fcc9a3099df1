/**
 * Versions of how vectors are computed from product data. The stored `vectorTextHash` is the text
 * hash plus the text recipe (TEXT_VECTOR_VERSION, and the text model id when it is not the built-in
 * hashed vector) and `vectorImageHash` the image hash plus IMAGE_VECTOR_VERSION, so changing a
 * recipe — or TEXT_MODEL — makes every product's stored vectors stale; the reconciler then
 * re-queues them and workers re-embed. (The image model is recorded in `Product.modelId`, which
 * the reconciler and the embedding service compare with the worker's image model.)
 * Bump TEXT_VECTOR_VERSION whenever `textVector` (or the text given to a text model,
 * product-text.ts) changes its output for the same input, and IMAGE_VECTOR_VERSION whenever the
 * stored image vectors change (which photos, how they are kept).
 */
export const TEXT_VECTOR_VERSION = "t2";
/**
 * i2: per-photo vectors (`Product.imageVectors`, first MAX_PRODUCT_IMAGES photos) besides the mean.
 * i3: the same photos' regional descriptors (`Product.localFeatures`) for the photo search's local
 * re-rank; and photos up to 768 px decoded at their own size (no resample before the fit to 224),
 * which changes the model's view and the colour signature of the same photo slightly.
 * i4: the int8 model run without the u8s8 saturation of x86 CPUs that lack VNNI (sessionOptions,
 * `session.x64quantprecision`, int8-kernel.server.ts): on such a CPU the vectors change (for the
 * better), elsewhere they are the same and the re-embed is only a cost.
 */
export const IMAGE_VECTOR_VERSION = "i4";

/** Model id of the built-in hashed text vector (text-vector.ts): the default text recipe. */
export const HASHED_TEXT_MODEL_ID = `hashed-text-${TEXT_VECTOR_VERSION}`;

/**
 * The text recipe of a text model: TEXT_VECTOR_VERSION alone for the hashed vector (the keys
 * stored before text models existed stay current), `<version>.<model id>` for a text model.
 */
export function textRecipe(textModelId: string = HASHED_TEXT_MODEL_ID): string {
  return textModelId === HASHED_TEXT_MODEL_ID ? TEXT_VECTOR_VERSION : `${TEXT_VECTOR_VERSION}.${textModelId}`;
}

export function textVectorKey(textHash: string, textModelId?: string): string {
  return `${textHash}.${textRecipe(textModelId)}`;
}

/** Suffix of every current text key made with `textModelId` (the reconciler's test). */
export function currentTextSuffix(textModelId?: string): string {
  return `.${textRecipe(textModelId)}`;
}

/**
 * The text model a stored key was made with: the part after `<hash>.<version>.`, or the hashed
 * vector when there is none (every key written before text models existed, and rows written
 * without a key, as the web process has always read them).
 */
export function textModelOfKey(key: string | null | undefined): string {
  if (!key) return HASHED_TEXT_MODEL_ID;
  const parts = key.split(".");
  return parts.length > 2 ? parts.slice(2).join(".") : HASHED_TEXT_MODEL_ID;
}

/**
 * Whether a stored text key holds the current recipe version for `textHash`, whichever text model
 * made it (a TEXT_MODEL change is the reconciler's business, not the product writer's).
 */
export function textKeyIsCurrentFor(key: string | null | undefined, textHash: string): boolean {
  if (!key) return false;
  const base = `${textHash}.${TEXT_VECTOR_VERSION}`;
  return key === base || key.startsWith(`${base}.`);
}

export function imageVectorKey(imageHash: string): string {
  return `${imageHash}.${IMAGE_VECTOR_VERSION}`;
}

/**
 * The models a worker embeds with, as far as stored vectors are concerned: the text model (its
 * key suffix) and the image model (`Product.modelId`; undefined: do not judge rows by it, e.g. a
 * worker running on the colour fallback must not downgrade a catalog a real model embedded).
 */
export interface VectorModels {
  textModelId?: string;
  imageModelId?: string;
}

/** Current text suffix of the hashed text vector (the default TEXT_MODEL). */
export const CURRENT_TEXT_SUFFIX = currentTextSuffix();
export const CURRENT_IMAGE_SUFFIX = `.${IMAGE_VECTOR_VERSION}`;

/** The stored image vectors of a product keep at most this many photos (the first ones). */
export const MAX_PRODUCT_IMAGES = 4;
