/**
 * A shopper's photo search as the storefront and the admin preview run it: which region of the
 * photo is searched (the shopper's box, or a guessed one), then photoSearch on it, then the
 * shopper's words (photo-words.server.ts).
 *
 * The automatic box (no box sent; PHOTO_AUTO_BOX=0 turns it off), decision 0012:
 *  the whole photo (trimmed to its foreground when its border is a uniform backdrop, as photo
 *  search always did) and a few crops (cornerAndCentreCrops) are embedded as one micro-batch, and
 *  the view whose best catalog match (top-1 score) is strongest is searched, with its embedding
 *  from the batch (no second model run for it). A crop must beat the whole photo by a gate that
 *  depends on what the foreground analysis found (autoBoxGate): an isolated object on a uniform
 *  backdrop (a studio shot: the trim is already a good guess) AUTO_BOX_GATE; a uniform ground
 *  whose foreground spans the photo both ways (things all over a plain ground) the smaller
 *  AUTO_BOX_GATE_SPANNING; a busy border none. The whole photo is searched with its 80% zoom view
 *  as always; a chosen crop alone (it is already a closer view; one model run fewer).
 *  Measured (docs/quality.md): the border test calls most generated clutter scenes backdrops, and
 *  the full gate on them held luma-dev clutter recall@1 at 0.74 where the harness without it had 0.86.
 */
import type { EmbeddedImage, ImageEmbedder } from "../embedding/image/image-embedder.server";
import { prepareRegion, type DecodedPhoto, type PreparedRegion } from "../embedding/image/image-preprocess.server";
import { cornerAndCentreCrops, WHOLE_PHOTO, type FractionBox } from "../embedding/image/photo-region";
import { NO_VIEWS } from "../embedding/image/query-views";
import type { ProductFilter } from "../search/filters";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import { DEFAULT_PHOTO_SEARCH, photoFirstPass, photoSearchExplained, withBestPhotos, type LocalFeatureSource, type PhotoSearchConfig } from "./photo.server";
import { DEFAULT_PHOTO_WORDS, rerankByWords, type PhotoWordsConfig, type WordsModels } from "./photo-words.server";

/** On a studio shot (trimIsolatesObject), a crop must beat the whole photo's best catalog match by this much (cosine) to be searched instead. */
export const AUTO_BOX_GATE = 0.05;

/**
 * On a uniform border whose foreground trim spans the photo both ways, a crop must beat the whole
 * photo by this much: such photos are either frame-filling studio shots, where a crop wins only by
 * a hair (0.003–0.036 on smartstore-dev) and sees less of the product, or scenes of many things
 * on a plain ground, where the crop that holds the product wins clearly (0.027–0.11 on luma-dev's
 * clutter photos). docs/quality.md has the sweep.
 */
export const AUTO_BOX_GATE_SPANNING = 0.02;

/**
 * The foreground trim isolates an object (a studio shot) when, on a uniform border, it leaves
 * backdrop across at least one axis: its narrower side is at most this fraction of the photo's.
 */
export const OBJECT_TRIM_SIDE = 0.8;

/** The foreground analysis isolated an object: its trim is a guess worth protecting (see OBJECT_TRIM_SIDE). */
export function trimIsolatesObject(whole: Pick<PreparedRegion, "uniformBorder" | "trim">): boolean {
  return whole.uniformBorder && whole.trim !== null && Math.min(whole.trim.w, whole.trim.h) <= OBJECT_TRIM_SIDE;
}

/** How much a crop's best catalog match must beat the whole photo's to be searched instead (see the module comment). */
export function autoBoxGate(whole: Pick<PreparedRegion, "uniformBorder" | "trim">): number {
  if (!whole.uniformBorder) return 0;
  return trimIsolatesObject(whole) ? AUTO_BOX_GATE : AUTO_BOX_GATE_SPANNING;
}

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

/** The region to search, and (automatic box) its embedding from the choice batch. */
export interface ChosenRegion {
  region: PreparedRegion;
  box: SearchedBox;
  /** Images run through the model to choose (0 when no choice was needed). */
  forwards: number;
  embedded?: EmbeddedImage;
  /** A crop was chosen (searched alone, without the zoom view). */
  crop: boolean;
}

/** Which region to search (see the module comment). */
export async function chooseRegion(
  catalog: LiveCatalog,
  photo: DecodedPhoto,
  filter: ProductFilter,
  deps: PhotoQueryDeps,
  box?: FractionBox,
): Promise<ChosenRegion> {
  const spec = deps.embedder.spec;
  if (box) return { region: await prepareRegion(photo, spec, box), box: asSearched(box, false), forwards: 0, crop: false };
  const whole = await prepareRegion(photo, spec, WHOLE_PHOTO);
  if (deps.autoBox === false) return { region: whole, box: asSearched(WHOLE_PHOTO, false), forwards: 0, crop: false };
  const wholeBox = whole.uniformBorder && whole.trim ? asSearched(whole.trim, true) : asSearched(WHOLE_PHOTO, false);
  const gate = autoBoxGate(whole);
  const config = deps.config ?? DEFAULT_PHOTO_SEARCH;
  const crops = await Promise.all((deps.crops ?? cornerAndCentreCrops()).map((c) => prepareRegion(photo, spec, c)));
  const views = [whole, ...crops];
  // With the regional descriptors (computed by the same run anyway): the search reuses the chosen
  // view's embedding.
  const embedded = await deps.embedder.embedWithLocal(views.map((v) => v.image));
  const scores = embedded.map((e, i) => bestMatch(catalog, e.vector, views[i].image.color, filter, config));
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  if (best === 0 || scores[best] - scores[0] < gate) return { region: whole, box: wholeBox, forwards: views.length, embedded: embedded[0], crop: false };
  const chosen = views[best];
  return { region: chosen, box: asSearched(chosen.region, true), forwards: views.length, embedded: embedded[best], crop: true };
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
  const { region, box, forwards, embedded, crop } = await chooseRegion(catalog, photo, filter, deps, request.box);
  const words = request.words?.trim();
  const wordsConfig = deps.wordsConfig ?? DEFAULT_PHOTO_WORDS;
  const want = words ? Math.max(limit, wordsConfig.pool) : limit;
  // A guessed crop is searched alone: it is already a closer view than the zoom would give.
  const searchConfig = crop ? { ...config, views: NO_VIEWS } : config;
  const { hits, firstPass } = await photoSearchExplained(catalog, deps.embedder, region.image, want, filter, searchConfig, deps.local, embedded);
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
