/**
 * Photo search with words ("this, but in red"): the photo's candidate pool re-ranked by a blend
 * of the photo's own similarity (its first-pass score, image cosine), the words' colour and the
 * words through the text channel.
 *  - Colour words (red, navy, ...) become a colour-signature target: the signature
 *    (color-signature.server.ts) of swatches of that colour, compared with each product's colour
 *    channel (Bhattacharyya coefficient, 0–1).
 *  - All the words (colour words too: a variant named "Red" says so in the product's text) go
 *    through the text channel of the combined index, as text search does; the text scores are
 *    scaled by the pool's best, so the best text match gains the full text weight.
 * Only the pool is re-ranked: the words never bring in a product the photo does not look like.
 */
import { colorSignature } from "../embedding/image/color-signature.server";
import { textQueryVector } from "../embedding/text/text-channel";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import { l2normalize } from "../embedding/vector-codec";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import { textSearchChannel } from "./text.server";

export interface PhotoWordsConfig {
  /** Candidates of the photo's ranking that the words re-rank. */
  pool: number;
  /** Weight of the colour target's similarity (0–1 Bhattacharyya). */
  color: number;
  /** Weight of the text channel (scaled by the pool's best text score). */
  text: number;
}

export const DEFAULT_PHOTO_WORDS: PhotoWordsConfig = { pool: 40, color: 0.5, text: 0.3 };

/** sRGB swatches of each colour word (a few shades each). */
const SWATCHES: Record<string, [number, number, number][]> = {
  red: [[200, 30, 40], [160, 20, 30], [230, 60, 60]],
  orange: [[240, 130, 30], [220, 100, 20]],
  yellow: [[240, 220, 40], [250, 200, 60]],
  green: [[40, 150, 60], [30, 110, 50], [120, 190, 80]],
  blue: [[40, 80, 200], [30, 60, 140], [80, 140, 220]],
  navy: [[20, 30, 90]],
  purple: [[120, 50, 160], [90, 40, 120], [160, 100, 200]],
  pink: [[240, 130, 180], [220, 90, 150]],
  brown: [[120, 80, 40], [90, 60, 30]],
  beige: [[220, 200, 160]],
  black: [[15, 15, 15], [35, 35, 35]],
  white: [[245, 245, 245], [230, 230, 230]],
  gray: [[128, 128, 128], [90, 90, 90], [170, 170, 170]],
};
const ALIASES: Record<string, string> = { grey: "gray", violet: "purple", tan: "beige", cream: "beige", khaki: "beige", teal: "green", turquoise: "blue" };

const targets = new Map<string, Float32Array>();

/** The colour signature of a colour word's swatches (null: not a colour word). */
export function colourWordSignature(word: string): Float32Array | null {
  const name = ALIASES[word.toLowerCase()] ?? word.toLowerCase();
  const swatches = SWATCHES[name];
  if (!swatches) return null;
  let t = targets.get(name);
  if (!t) {
    const side = 16;
    const sum = new Float32Array(colorSignature(new Uint8Array(side * side * 3), side, side).length);
    for (const [r, g, b] of swatches) {
      const rgb = new Uint8Array(side * side * 3);
      for (let i = 0; i < rgb.length; i += 3) {
        rgb[i] = r;
        rgb[i + 1] = g;
        rgb[i + 2] = b;
      }
      // A non-uniform "background" far from the swatch: every pixel is foreground.
      const sig = colorSignature(rgb, side, side, { rgb: [r ^ 255, g ^ 255, b ^ 255], uniformity: 0 });
      for (let i = 0; i < sum.length; i++) sum[i] += sig[i];
    }
    targets.set(name, (t = l2normalize(sum)));
  }
  return t;
}

/** The colour target of the words (the mean of their colour words' signatures), or null. */
export function colourTarget(words: string): Float32Array | null {
  const found = wordList(words).flatMap((w) => colourWordSignature(w) ?? []);
  if (!found.length) return null;
  const sum = new Float32Array(found[0].length);
  for (const s of found) for (let i = 0; i < s.length; i++) sum[i] += s[i];
  return l2normalize(sum);
}

function wordList(words: string): string[] {
  return words.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

export interface WordsModels {
  text: TextEmbedder;
  imageModelId: string;
}

/**
 * The pool re-ranked by the words (see the module comment); `photoScore` is each product's own
 * photo similarity (the first pass). Contributions: image = the photo's, colour and text = the
 * words' weighted terms.
 */
export async function rerankByWords(
  catalog: Pick<LiveCatalog, "index">,
  pool: SearchHit[],
  photoScore: (hit: SearchHit) => number,
  words: string,
  models: WordsModels | undefined,
  limit: number,
  cfg: PhotoWordsConfig = DEFAULT_PHOTO_WORDS,
): Promise<SearchHit[]> {
  const { index } = catalog;
  const w = index.weights;
  const ids = pool.map((h) => h.id);
  const colour = cfg.color > 0 && w.color > 0 ? colourTarget(words) : null;
  const colourOf = new Map<string, number>();
  if (colour) for (const s of index.scoreProducts({ color: colour }, ids)) colourOf.set(s.id, s.contributions.color / w.color);
  const textOf = new Map<string, number>();
  // Words compared with product text (with CLIP's shared space the text channel is not where words live: colour only).
  if (models && cfg.text > 0 && w.text > 0 && textSearchChannel(models.text.modelId, models.imageModelId) === "text") {
    const [vector] = await models.text.embedTexts([words]);
    if (vector && vector.some((x) => x !== 0)) {
      const scores = index.scoreProducts({ text: textQueryVector(vector) }, ids);
      const best = Math.max(0, ...scores.map((s) => s.contributions.text));
      if (best > 0) for (const s of scores) textOf.set(s.id, Math.max(0, s.contributions.text) / best);
    }
  }
  const blended = pool.map((hit, rank) => {
    const image = photoScore(hit);
    const color = cfg.color * (colourOf.get(hit.id) ?? 0);
    const text = cfg.text * (textOf.get(hit.id) ?? 0);
    return { hit: { id: hit.id, score: image + color + text, contributions: { image, color, text } }, rank };
  });
  blended.sort((a, b) => b.hit.score - a.hit.score || a.rank - b.rank);
  return blended.slice(0, limit).map((b) => b.hit);
}
