/**
 * Photo search: products matching a shopper's photo (a photo has no text). Functions of a
 * LiveCatalog in memory, plus the photo's embedding and, for the local re-rank, a source of the
 * head products' stored regional descriptors (local-feature-source.server.ts).
 *
 *  1. Query views: the prepared photo and a centre zoom, embedded in one batch and averaged.
 *  2. First pass. The photo is matched against every stored photo of every product
 *     (LiveCatalog.images) and a product scores p_image · its best photo's cosine (max over
 *     photos): a shopper's photo looks like one of the product's photos, not like their average.
 *     When the shop has no per-photo index, or the photo weights include colour (which only the
 *     combined index holds), the image and colour channels of the combined index are searched, with the
 *     photo-specific channel weights applied on the query side (query segment c is scaled by
 *     p_c / w_c, so the score is Σ p_c·cos_c whatever the index weights are).
 *  2b. Local re-rank (photoSearch, when the products' regional descriptors can be read): the first
 *     pass' best 5 products are matched region by region with the photo, which decides the places
 *     feedback keeps (rerankHeadByLocal).
 *  3. Pseudo-relevance feedback: the top hits' own "similar products" neighbourhoods vote, through
 *     their text channel, for the candidates of the first pass. Inner products are linear, so this
 *     equals adding the hits' text vectors (weighted by rank) to the query and re-ranking: product
 *     text carries category information the photo lacks. The first pass' top `keepHead` hits keep
 *     their places (the pictured product itself is nearly always among them).
 * Contributions stay meaningful: image and colour are the photo's own weighted cosines, text is
 * the feedback term (how well the product's text matches the products the photo looks most like).
 */
import { centre } from "../embedding/catalog-centring";
import type { EmbeddedImage, ImageEmbedder } from "../embedding/image/image-embedder.server";
import type { PreparedImage } from "../embedding/image/image-preprocess.server";
import { localMatch } from "../embedding/image/local-features";
import { queryViews, type QueryViewOptions } from "../embedding/image/query-views";
import { l2normalize } from "../embedding/vector-codec";
import type { ProductFilter } from "../search/filters";
import type { ChannelWeights, SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";

const INPUT_SIZE = 224;

export interface PhotoSearchConfig {
  /** Query views averaged into the image vector. */
  views: QueryViewOptions;
  /** Effective weights of the photo's own channels (image, colour). */
  weights: { image: number; color: number };
  /** Pseudo-relevance feedback (0 hits or weight 0 = off). */
  feedback: {
    /** How many top first-pass hits vote. */
    hits: number;
    /** Weight of the feedback term, relative to the photo's own channels. */
    weight: number;
    /** Candidates re-ranked (first-pass pool) and neighbours read per voting hit. */
    pool: number;
    /** Channel of the hits' neighbourhoods that votes. */
    channels: ("image" | "color" | "text")[];
    /**
     * The first pass' best `keepHead` hits keep their places at the top (the exact product, when
     * the photo shows one, is almost always among them); feedback re-ranks the rest.
     */
    keepHead: number;
  };
  /** Local re-rank of the first pass' head (photoSearch with a LocalFeatureSource; head ≤ 1 = off). */
  local: { head: number; weight: number };
}

/**
 * Measured on luma-dev with scripts/evaluate.ts (docs/quality.md): the colour channel is off for
 * photos (a shopper's photo often shows another colour variant than the catalog's photos, and any
 * colour weight cost same-product recall); an 80% centre zoom helps on cluttered and cropped
 * photos (the mirror view stopped paying once the model embeds a luminance view of every image:
 * two views, each run in colour and in grey, instead of three); feedback from the top 2 hits raises
 * category precision while the top 3 stay put.
 */
export const DEFAULT_PHOTO_SEARCH: PhotoSearchConfig = {
  views: { zooms: [0.8] },
  weights: { image: 1, color: 0 },
  feedback: { hits: 2, weight: 0.6, pool: 40, channels: ["text"], keepHead: 3 },
  local: { head: 5, weight: 1 },
};

/** Mean of L2-normalised vectors, re-normalised. */
function meanOf(vectors: Float32Array[]): Float32Array {
  if (vectors.length === 1) return vectors[0];
  const out = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i] += v[i];
  return l2normalize(out);
}

/** The embeddings of the photo's query views (one batch), original first. */
export async function embedPhotoViews(embedder: ImageEmbedder, image: PreparedImage, views: QueryViewOptions): Promise<Float32Array[]> {
  return embedder.embed(viewImages(image, views));
}

/** The photo's query views as prepared images (original first). */
function viewImages(image: PreparedImage, views: QueryViewOptions): PreparedImage[] {
  const tensors = image.tensor.length === 3 * INPUT_SIZE * INPUT_SIZE ? queryViews(image.tensor, INPUT_SIZE, views) : [image.tensor];
  return tensors.map((tensor) => ({ tensor, color: image.color }));
}

/** The photo's image vector: the embeddings of its query views, averaged (one batch). */
export async function embedPhoto(embedder: ImageEmbedder, image: PreparedImage, views: QueryViewOptions): Promise<Float32Array> {
  return meanOf(await embedPhotoViews(embedder, image, views));
}

/** `v` scaled by `factor` (a copy). */
function scaled(v: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * factor;
  return out;
}

/** What the photo ranking reads of a live catalog (tests pass bare indexes). */
type PhotoCatalog = Pick<LiveCatalog, "index"> & Partial<Pick<LiveCatalog, "images" | "imageMean">>;
/** A photo as the ranking sees it: its (views-averaged) image vector and colour signature. */
type PhotoQuery = { image: Float32Array; color: Float32Array };

/**
 * Ranks the catalog for a photo given its image vector and colour signature (steps 2–3 above).
 * Exposed separately from the embedding so it can be tested and evaluated on fixed vectors.
 */
export function rankForPhoto(
  catalog: PhotoCatalog,
  query: PhotoQuery,
  limit: number,
  filter: ProductFilter,
  config: PhotoSearchConfig = DEFAULT_PHOTO_SEARCH,
): SearchHit[] {
  return finishPhotoRanking(catalog.index, photoFirstPass(catalog, query, limit, filter, config), limit, filter, config);
}

/** Step 2: the first pass, as many hits as feedback re-ranks (or `limit`). */
export function photoFirstPass(
  catalog: PhotoCatalog,
  query: PhotoQuery,
  limit: number,
  filter: ProductFilter,
  config: PhotoSearchConfig = DEFAULT_PHOTO_SEARCH,
): SearchHit[] {
  const { index } = catalog;
  const w: ChannelWeights = index.weights;
  const p = config.weights;
  // Query-side reweighting: segment c of the query is √w_c·v_c·(p_c/w_c), so its dot with a stored
  // product is p_c·cos_c. A channel the shop switched off (w_c = 0) cannot take part.
  const vectors: { image?: Float32Array; color?: Float32Array } = {};
  if (w.image > 0 && p.image > 0) vectors.image = scaled(query.image, p.image / w.image);
  if (w.color > 0 && p.color > 0) vectors.color = scaled(query.color, p.color / w.color);

  const k = Math.max(feedbackIsOn(w, config.feedback) ? Math.max(limit, config.feedback.pool) : limit, config.local.head);
  const bestPhoto = catalog.images && vectors.image && !vectors.color;
  // The combined index's image channel is centred on the catalog mean (similar products): so is the query.
  if (!bestPhoto && vectors.image && catalog.imageMean) vectors.image = scaled(centre(query.image, catalog.imageMean.mean), p.image / w.image);
  return !bestPhoto ? index.searchByVectors(vectors, { k, filter }) : catalog.images!.search(scaled(query.image, p.image), { k, filter });
}

/** Step 3 on a first pass (feedback, or just the first `limit`). */
export function finishPhotoRanking(index: LiveCatalog["index"], first: SearchHit[], limit: number, filter: ProductFilter, config: PhotoSearchConfig): SearchHit[] {
  if (!feedbackIsOn(index.weights, config.feedback)) return first.slice(0, limit);
  return withFeedback(index, first, limit, filter, config.feedback);
}

/** Feedback takes part when it has voters, a weight, and a channel the shop has not switched off. */
function feedbackIsOn(w: ChannelWeights, fb: PhotoSearchConfig["feedback"]): boolean {
  return fb.hits > 0 && fb.weight > 0 && fb.channels.some((c) => w[c] > 0);
}

/** The stored regional descriptors of products (one Int8Array per photo), for the local re-rank. */
export type LocalFeatureSource = (productIds: string[]) => Promise<Map<string, Int8Array[]>>;

/**
 * Step 2b: local matching decides which of the first pass' best `head` products take its first
 * `keep` places — each gains `weight` × its best photo's Chamfer similarity to the shopper's photo
 * (local-features.ts), attributed to the image channel. The other head products go back, in
 * their first-pass order and with their first-pass scores, to be ranked with the rest (by
 * feedback), so the gain, which is on another scale, never pins them above better category
 * matches. Products without stored descriptors gain nothing: a catalog still being re-embedded
 * degrades to the global ranking.
 */
export async function rerankHeadByLocal(
  first: SearchHit[],
  query: Int8Array,
  load: LocalFeatureSource,
  cfg: PhotoSearchConfig["local"],
  keep = cfg.head,
): Promise<SearchHit[]> {
  if (cfg.head <= 1 || cfg.weight <= 0 || keep <= 0 || first.length < 2) return first;
  const head = first.slice(0, cfg.head);
  const stored = await load(head.map((h) => h.id));
  const rescored = head.map((hit) => {
    let best = 0;
    for (const photo of stored.get(hit.id) ?? []) best = Math.max(best, localMatch(query, photo));
    const gain = cfg.weight * best;
    return { ...hit, score: hit.score + gain, contributions: { ...hit.contributions, image: hit.contributions.image + gain } };
  });
  rescored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept = rescored.slice(0, keep);
  const keptIds = new Set(kept.map((h) => h.id));
  return [...kept, ...head.filter((h) => !keptIds.has(h.id)), ...first.slice(head.length)];
}

export type FeedbackConfig = PhotoSearchConfig["feedback"];

/**
 * Pseudo-relevance feedback over a first-pass list (see the module comment): the top `fb.hits`
 * hits vote, through `fb.channels`, for the list's members by their own neighbourhoods; the first
 * `fb.keepHead` hits keep their places and the rest are re-ranked by score + feedback.
 */
export function withFeedback(index: LiveCatalog["index"], first: SearchHit[], limit: number, filter: ProductFilter, fb: FeedbackConfig): SearchHit[] {
  const w: ChannelWeights = index.weights;
  const channels = fb.channels.filter((c) => w[c] > 0);
  if (fb.hits <= 0 || fb.weight <= 0 || channels.length === 0 || first.length === 0) return first.slice(0, limit);
  // Each voter spreads its rank weight over its own neighbourhood, through the chosen channels
  // (weighted contributions converted back to cosines). A hit votes for itself with cosine 1.
  const voters = first.slice(0, fb.hits);
  const rankWeight = voters.map((_, i) => 1 / (i + 1));
  const norm = rankWeight.reduce((a, b) => a + b, 0);
  const votes = new Map<string, { image: number; color: number; text: number }>();
  const add = (id: string, c: "image" | "color" | "text", v: number) => {
    let e = votes.get(id);
    if (!e) votes.set(id, (e = { image: 0, color: 0, text: 0 }));
    e[c] += v;
  };
  voters.forEach((hit, i) => {
    const a = rankWeight[i] / norm;
    for (const c of channels) add(hit.id, c, a);
    for (const n of index.searchByProduct(hit.id, { k: fb.pool, filter })) {
      for (const c of channels) add(n.id, c, (a * n.contributions[c]) / w[c]);
    }
  });
  // The feedback term is attributed to the channel it came through.
  const scale = fb.weight / channels.length;
  const reranked = first.map((hit) => {
    const v = votes.get(hit.id) ?? { image: 0, color: 0, text: 0 };
    const contributions = {
      image: hit.contributions.image + scale * v.image,
      color: hit.contributions.color + scale * v.color,
      text: hit.contributions.text + scale * v.text,
    };
    return { id: hit.id, score: contributions.image + contributions.color + contributions.text, contributions };
  });
  const head = reranked.slice(0, Math.max(0, fb.keepHead));
  const tail = reranked.slice(head.length);
  tail.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...head, ...tail].slice(0, limit);
}

export async function photoSearch(
  catalog: LiveCatalog,
  embedder: ImageEmbedder,
  image: PreparedImage,
  limit: number,
  filter: ProductFilter,
  config: PhotoSearchConfig = DEFAULT_PHOTO_SEARCH,
  local?: LocalFeatureSource,
): Promise<SearchHit[]> {
  return (await photoSearchExplained(catalog, embedder, image, limit, filter, config, local)).hits;
}

/**
 * photoSearch, and each product's first-pass hit: its score is the photo's own similarity
 * (Σ p_c·cos_c over the photo's channels, before the local gain and the feedback term) — what
 * the admin shows as "score", on the same 0–1 scale as similar products. `original`: the
 * embedding of `image` itself when the caller already has it (the automatic box embedded it to
 * choose the region); then only the other query views go through the model. The model's output
 * for an image does not depend on its batch, so the ranking is the same.
 */
export async function photoSearchExplained(
  catalog: LiveCatalog,
  embedder: ImageEmbedder,
  image: PreparedImage,
  limit: number,
  filter: ProductFilter,
  config: PhotoSearchConfig = DEFAULT_PHOTO_SEARCH,
  local?: LocalFeatureSource,
  original?: EmbeddedImage,
): Promise<{ hits: SearchHit[]; firstPass: Map<string, SearchHit> }> {
  const images = viewImages(image, config.views);
  // The photo's own view already embedded (the automatic box's choice batch): only the others run.
  const embedded = original ? [original, ...(images.length > 1 ? await embedder.embedWithLocal(images.slice(1)) : [])] : await embedder.embedWithLocal(images);
  const views = embedded.map((e) => e.vector);
  // A shopper's photo has no text: only the image channels take part in the query itself.
  let first = photoFirstPass(catalog, { image: meanOf(views), color: image.color }, limit, filter, config);
  const firstPass = new Map(first.map((h) => [h.id, h]));
  const queryLocal = embedded[0].local;
  if (local && queryLocal) first = await rerankHeadByLocal(first, queryLocal, local, config.local, config.feedback.keepHead || config.local.head);
  return { hits: withBestPhotos(finishPhotoRanking(catalog.index, first, limit, filter, config), firstPass), firstPass };
}

/**
 * Each hit with its product's best photo from the first pass (the per-photo index knows it; the
 * re-ranks after it make new hits): the card shows that photo's variant (cards.ts).
 */
export function withBestPhotos(hits: SearchHit[], firstPass: ReadonlyMap<string, SearchHit>): SearchHit[] {
  return hits.map((h) => {
    const photo = firstPass.get(h.id)?.photo;
    return photo === undefined || h.photo === photo ? h : { id: h.id, score: h.score, contributions: h.contributions, photo };
  });
}
