/**
 * Versions of how vectors are computed from product data. The stored `vectorTextHash` is the text
 * hash plus this version, so changing the text recipe (tokenisation, field weights) makes every
 * product's text vector stale; the reconciler then re-queues them and workers re-embed.
 * Bump TEXT_VECTOR_VERSION whenever `textVector` changes its output for the same input.
 */
export const TEXT_VECTOR_VERSION = "t2";

export function textVectorKey(textHash: string): string {
  return `${textHash}.${TEXT_VECTOR_VERSION}`;
}

export const CURRENT_TEXT_SUFFIX = `.${TEXT_VECTOR_VERSION}`;
