/**
 * Measured, not shipped (decision 0049): would a luminance-only vector find "the same item in another
 * colour" better than the stored image channel (the sum of the colour and luminance views)?
 *
 * The model's luminance view of a photo is its embedding of the photo in grey: a grey photo's colour
 * and luminance views are the same image (Rec. 601 weights sum to 1), so the model's output for it is
 * that view's unit vector. Each product's luminance vector is the mean of its photos' (as the image
 * channel is), centred on the catalog's mean as the image channel is. The rule is then the route's with
 * the luminance cosine in place of the image channel's: same product type, colour similarity ≤ the
 * route's bar, one card per colour, best first.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { centre } from "../../app/embedding/catalog-centring";
import { createImageEmbedder } from "../../app/embedding/image/image-embedder.server";
import { prepareImage } from "../../app/embedding/image/image-preprocess.server";
import { l2normalize } from "../../app/embedding/vector-codec";
import { MAX_PRODUCT_IMAGES } from "../../app/embedding/vector-versions";
import type { LiveCatalog } from "../../app/live-index/live-catalog";

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Each product's centred luminance vector (numeric id → vector), from the catalog file's photos. */
export async function luminanceVectors(catalogFile: string, modelsDir: string, log: (s: string) => void): Promise<Map<string, Float32Array>> {
  const embedder = await createImageEmbedder({ modelsDir });
  const dir = path.dirname(catalogFile);
  const raw = new Map<string, Float32Array>();
  const lines = readFileSync(catalogFile, "utf8").split("\n").filter((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    const p = JSON.parse(line) as { id: string; media?: { nodes: { image?: { url?: string } }[] } };
    const urls = (p.media?.nodes ?? []).map((m) => m.image?.url).filter((u): u is string => !!u).slice(0, MAX_PRODUCT_IMAGES);
    if (!urls.length) continue;
    const prepared = await Promise.all(urls.map(async (u) => prepareImage(await sharp(path.resolve(dir, u)).greyscale().jpeg({ quality: 95 }).toBuffer())));
    const vectors = await embedder.embed(prepared);
    const mean = new Float32Array(vectors[0].length);
    for (const v of vectors) for (let k = 0; k < v.length; k++) mean[k] += v[k];
    raw.set(p.id.split("/").pop()!, l2normalize(mean));
    if ((i + 1) % 50 === 0) log(`luminance vectors: ${i + 1}/${lines.length}`);
  }
  await embedder.close();
  const catalogMean = new Float32Array([...raw.values()][0].length);
  for (const v of raw.values()) for (let k = 0; k < v.length; k++) catalogMean[k] += v[k] / raw.size;
  return new Map([...raw].map(([id, v]) => [id, centre(v, catalogMean)]));
}

/** The route's rule with the luminance cosine as "shape": up to `limit` ids, best first. */
export function rankByLuminance(catalog: LiveCatalog, luma: Map<string, Float32Array>, productId: string, limit: number, minLuma: number, maxColour: number): string[] {
  const { index } = catalog;
  const self = luma.get(productId);
  const colour = index.channelVectors(productId)?.color;
  if (!self || !colour) return [];
  const kind = index.attributes(productId)?.productType.trim().toLowerCase() ?? "";
  const scored: { id: string; s: number }[] = [];
  for (const [id, v] of luma) {
    if (id === productId) continue;
    if (kind && index.attributes(id)?.productType.trim().toLowerCase() !== kind) continue;
    const s = dot(self, v);
    if (s >= minLuma) scored.push({ id, s });
  }
  scored.sort((a, b) => b.s - a.s);
  const out: string[] = [];
  const picked: Float32Array[] = [];
  for (const { id } of scored) {
    if (out.length >= limit) break;
    const own = index.channelVectors(id)?.color;
    if (!own || dot(colour, own) > maxColour || picked.some((c) => dot(c, own) > maxColour)) continue;
    picked.push(own);
    out.push(id);
  }
  return out;
}
