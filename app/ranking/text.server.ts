/**
 * Text search (`/proxy/search?q=`): the shopper's words embedded with the process' text model
 * (TEXT_MODEL; the hashed vector treats them as a title, exactly as before text models).
 *  - When the text model and the image model share one space (TEXT_MODEL=clip with
 *    IMAGE_MODEL=clip: CLIP's text and image towers), the words are compared with the photos: the
 *    per-photo image index, a product ranked by its best photo (text-to-image search).
 *  - Otherwise the text channel of the combined index (its text part: a query has no facet values,
 *    text-channel.ts), as always.
 * The shop's filters apply either way.
 */
import { sharesEmbeddingSpace } from "../embedding/models/model-registry";
import { textQueryVector } from "../embedding/text/text-channel";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import type { ProductFilter } from "../search/filters";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";

export type TextSearchChannel = "image" | "text";

export function textSearchChannel(textModelId: string, imageModelId: string): TextSearchChannel {
  return sharesEmbeddingSpace(textModelId, imageModelId) ? "image" : "text";
}

export async function textSearch(
  catalog: Pick<LiveCatalog, "index" | "images">,
  models: { text: TextEmbedder; imageModelId: string },
  q: string,
  limit: number,
  filter: ProductFilter,
): Promise<SearchHit[]> {
  const [vector] = await models.text.embedTexts([q]);
  if (!vector || !vector.some((x) => x !== 0)) return [];
  if (textSearchChannel(models.text.modelId, models.imageModelId) === "image") return catalog.images.search(vector, { k: limit, filter });
  return catalog.index.searchByVectors({ text: textQueryVector(vector) }, { k: limit, filter });
}
