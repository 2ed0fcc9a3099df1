/**
 * A shopper's photo search as the storefront and the admin preview run it: which region of the
 * photo is searched (the shopper's box, or a guessed one), then photoSearch on it, then the
 * shopper's words (photo-words.server.ts).
 *
 * The automatic box (no box sent; PHOTO_AUTO_BOX=0 turns it off), decision 0012:
 *  the whole photo (trimmed to its foreground when its border is a uniform backdrop, as photo
 *  search always did) and a few crops (cornerAndCentreCrops) are embedded as one micro-batch, and
 *  the view whose best catalog match (top-1 score) is strongest is searched (its embedding from
 *  the batch is reused: only its zoom view goes through the model again). On a uniform
 *  backdrop (the foreground analysis is confident) a crop must beat the whole photo by
 *  AUTO_BOX_GATE; on a busy border the strongest view wins. Measured (docs/quality.md): the
 *  foreground analysis alone could not tell most cluttered photos from studio ones, and the gate
 *  on busy borders cost luma-dev clutter recall@1 0.83 → 0.67 (image channel, exact).
 */
import type { EmbeddedImage, ImageEmbedder } from "../embedding/image/image-embedder.server";
import { prepareRegion, type DecodedPhoto, type PreparedRegion } from "../embedding/image/image-preprocess.server";
import { cornerAndCentreCrops, WHOLE_PHOTO, type FractionBox } from "../embedding/image/photo-region";
import type { ProductFilter } from "../search/filters";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import { DEFAULT_PHOTO_SEARCH, photoFirstPass, photoSearchExplained, withBestPhotos, type LocalFeatureSource, type PhotoSearchConfig } from "./photo.server";
import { DEFAULT_PHOTO_WORDS, rerankByWords, type PhotoWordsConfig, type WordsModels } from "./photo-words.server";

/** On a uniform backdrop a crop must beat the whole photo's best catalog match by this much (cosine) to be searched instead. */
export const AUTO_BOX_GATE = 0.05;

/** PHOTO_AUTO_BOX=0 turns the automatic box off (the whole photo is searched, trimmed as always). */
export function autoBoxFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PHOTO_AUTO_BOX !== "0";
}

/** The region searched, as the API returns it. `guessed`: the server chose a sub-region. */
export interface SearchedBox extends FractionBox {
  guessed: boolean;
}

export interface PhotoRequest {
  /** The shopper's box (fractions of the oriented photo); none: the automatic box. */
  box?: FractionBox;
  /** The shopper's words ("in red"). */
  words?: string;
}

export interface PhotoQueryDeps {
  embedder: ImageEmbedder;
  local?: LocalFeatureSource;
  /** The text model, for the words' text channel (without it words act through colour only). */
  words?: WordsModels;
  /** The automatic box (default on). */
  autoBox?: boolean;
  config?: PhotoSearchConfig;
  wordsConfig?: PhotoWordsConfig;
  crops?: FractionBox[];
}

export interface PhotoQueryResult {
  hits: SearchHit[];
  /** Each product's first-pass hit (the photo's own similarity), as photoSearchExplained. */
  firstPass: Map<string, SearchHit>;
  box: SearchedBox;
  /** Forward passes spent choosing the box (0 when no choice was needed). */
  boxForwards: number;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const asSearched = (b: FractionBox, guessed: boolean): SearchedBox => ({ x: round(b.x), y: round(b.y), w: round(b.w), h: round(b.h), guessed });

/** The photo's best catalog match (image channel, first pass only). */
function bestMatch(catalog: LiveCatalog, vector: Float32Array, color: Float32Array, filter: ProductFilter, config: PhotoSearchConfig): number {
  const quick: PhotoSearchConfig = { ...config, feedback: { ...config.feedback, hits: 0 }, local: { head: 0, weight: 0 } };
  return photoFirstPass(catalog, { image: vector, color }, 1, filter, quick)[0]?.score ?? -Infinity;
}

/** Which region to search (see the module comment). */
export async function chooseRegion(
  catalog: LiveCatalog,
  photo: DecodedPhoto,
  filter: ProductFilter,
  deps: PhotoQueryDeps,
  box?: FractionBox,
): Promise<{ region: PreparedRegion; box: SearchedBox; forwards: number; embedded?: EmbeddedImage }> {
  const spec = deps.embedder.spec;
  if (box) return { region: await prepareRegion(photo, spec, box), box: asSearched(box, false), forwards: 0 };
  const whole = await prepareRegion(photo, spec, WHOLE_PHOTO);
  if (deps.autoBox === false) return { region: whole, box: asSearched(WHOLE_PHOTO, false), forwards: 0 };
  const wholeBox = whole.uniformBorder && whole.trim ? asSearched(whole.trim, true) : asSearched(WHOLE_PHOTO, false);
  // On a studio backdrop the foreground trim is already a good guess: a crop must clearly beat it.
  const gate = whole.uniformBorder ? AUTO_BOX_GATE : 0;
  const config = deps.config ?? DEFAULT_PHOTO_SEARCH;
  const crops = await Promise.all((deps.crops ?? cornerAndCentreCrops()).map((c) => prepareRegion(photo, spec, c)));
  const views = [whole, ...crops];
  // With the regional descriptors (computed by the same run anyway): the chosen view's embedding
  // is reused by the search, which then embeds only its zoom view.
  const embedded = await deps.embedder.embedWithLocal(views.map((v) => v.image));
  const scores = embedded.map((e, i) => bestMatch(catalog, e.vector, views[i].image.color, filter, config));
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  if (best === 0 || scores[best] - scores[0] < gate) return { region: whole, box: wholeBox, forwards: views.length, embedded: embedded[0] };
  const chosen = views[best];
  return { region: chosen, box: asSearched(chosen.region, true), forwards: views.length, embedded: embedded[best] };
}

/** The photo search of a shopper's request: region, photo ranking, words. */
export async function photoQuery(
  catalog: LiveCatalog,
  photo: DecodedPhoto,
  request: PhotoRequest,
  limit: number,
  filter: ProductFilter,
  deps: PhotoQueryDeps,
): Promise<PhotoQueryResult> {
  const config = deps.config ?? DEFAULT_PHOTO_SEARCH;
  const { region, box, forwards, embedded } = await chooseRegion(catalog, photo, filter, deps, request.box);
  const words = request.words?.trim();
  const wordsConfig = deps.wordsConfig ?? DEFAULT_PHOTO_WORDS;
  const want = words ? Math.max(limit, wordsConfig.pool) : limit;
  const { hits, firstPass } = await photoSearchExplained(catalog, deps.embedder, region.image, want, filter, config, deps.local, embedded);
  if (!words) return { hits, firstPass, box, boxForwards: forwards };
  const reranked = await rerankByWords(catalog, hits, (h) => firstPass.get(h.id)?.score ?? h.score, words, deps.words, limit, wordsConfig);
  return { hits: withBestPhotos(reranked, firstPass), firstPass, box, boxForwards: forwards };
}

/** Product types among the results, most frequent first (ties: the best-ranked first); products without a type are not counted. */
export function resultTypes(catalog: Pick<LiveCatalog, "index">, hits: SearchHit[]): { value: string; count: number }[] {
  const counts = new Map<string, { count: number; first: number }>();
  hits.forEach((h, i) => {
    const value = catalog.index.attributes(h.id)?.productType?.trim();
    if (!value) return;
    const e = counts.get(value);
    if (e) e.count++;
    else counts.set(value, { count: 1, first: i });
  });
  return [...counts.entries()].sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first).map(([value, e]) => ({ value, count: e.count }));
}
