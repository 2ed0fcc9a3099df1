import { describe, expect, it } from "vitest";
import { l2normalize } from "../embedding/vector-codec";
import { ProductImageIndex } from "../search/product-image-index.server";
import { ShopVectorIndex } from "../search/shop-vector-index.server";
import { CHANNELS, LOCAL_BYTES } from "../embedding/image/local-features";
import { DEFAULT_PHOTO_SEARCH, embedPhoto, rankForPhoto, rerankHeadByLocal, withBestPhotos, withFeedback, type PhotoSearchConfig } from "./photo.server";

const dims = { image: 4, color: 3, text: 3 };
const attrs = { price: 10, available: true, productType: "", vendor: "", tags: [] };
const v = (...xs: number[]) => l2normalize(xs);

function index(weights = { image: 0.4, color: 0.1, text: 0.5 }) {
  const idx = new ShopVectorIndex({ dims, weights });
  // Two "tees" (text axis 0) and one "bag" (text axis 1). The bag looks a bit like the photo.
  idx.upsert("tee-a", { image: v(1, 0, 0, 0), color: v(1, 0, 0), text: v(1, 0, 0) }, attrs);
  idx.upsert("tee-b", { image: v(0.5, 0, 1, 0), color: v(0, 1, 0), text: v(1, 0.1, 0) }, attrs);
  idx.upsert("bag", { image: v(0.6, 0, 0.8, 0.3), color: v(0, 0, 1), text: v(0, 1, 0) }, attrs);
  return idx;
}
const noFeedback: PhotoSearchConfig = { ...DEFAULT_PHOTO_SEARCH, feedback: { ...DEFAULT_PHOTO_SEARCH.feedback, hits: 0 } };
const query = { image: v(1, 0, 0.1, 0), color: v(1, 0, 0) };

describe("photo search composition", () => {
  it("applies the photo's own channel weights whatever the index weights are (contributions = p_c·cos_c)", () => {
    for (const weights of [{ image: 0.4, color: 0.1, text: 0.5 }, { image: 0.9, color: 0.05, text: 0.05 }]) {
      const [top] = rankForPhoto({ index: index(weights) }, query, 3, {}, { ...noFeedback, weights: { image: 0.8, color: 0.2 } });
      expect(top.id).toBe("tee-a");
      const cosImage = query.image.reduce((s, x, i) => s + x * v(1, 0, 0, 0)[i], 0);
      expect(top.contributions.image).toBeCloseTo(0.8 * cosImage, 5);
      expect(top.contributions.color).toBeCloseTo(0.2, 5);
      expect(top.contributions.text).toBe(0);
      expect(top.score).toBeCloseTo(top.contributions.image + top.contributions.color, 6);
    }
  });

  it("a channel switched off by the shop (weight 0) takes no part", () => {
    const hits = rankForPhoto({ index: index({ image: 1, color: 0, text: 0.5 }) }, query, 3, {}, { ...noFeedback, weights: { image: 0.8, color: 0.2 } });
    for (const h of hits) expect(h.contributions.color).toBe(0);
  });

  it("feedback: the top hit's text neighbourhood lifts a same-category product above a look-alike of another kind", () => {
    const photo = { image: v(0.55, 0, 0.9, 0.2), color: v(0, 0, 0) };
    const cfg = (weight: number): PhotoSearchConfig => ({ ...DEFAULT_PHOTO_SEARCH, views: { zooms: [] }, weights: { image: 1, color: 0 }, feedback: { hits: 1, weight, pool: 10, channels: ["text"], keepHead: 0 } });
    const plain = rankForPhoto({ index: index() }, { image: v(1, 0, 0.3, 0), color: photo.color }, 3, {}, cfg(0));
    expect(plain[0].id).toBe("tee-a");
    const before = rankForPhoto({ index: index() }, { image: v(1, 0, 0.3, 0), color: photo.color }, 3, {}, cfg(0)).map((h) => h.id);
    const after = rankForPhoto({ index: index() }, { image: v(1, 0, 0.3, 0), color: photo.color }, 3, {}, cfg(1));
    expect(after[0].id).toBe("tee-a");
    expect(after.map((h) => h.id).indexOf("tee-b")).toBeLessThan(after.map((h) => h.id).indexOf("bag"));
    expect(before.indexOf("bag")).toBeLessThan(before.indexOf("tee-b"));
    // The feedback is attributed to the text channel, and the score is the sum of contributions.
    const teeB = after.find((h) => h.id === "tee-b")!;
    expect(teeB.contributions.text).toBeGreaterThan(0.5);
    expect(teeB.score).toBeCloseTo(teeB.contributions.image + teeB.contributions.color + teeB.contributions.text, 6);
    expect(after.find((h) => h.id === "bag")!.contributions.text).toBeLessThan(0.1);
  });

  it("returns at most `limit` hits and respects filters in both passes", () => {
    const idx = index();
    idx.upsert("tee-c", { image: v(1, 0, 0.1, 0), color: v(1, 0, 0), text: v(1, 0, 0) }, { ...attrs, price: 99 });
    const hits = rankForPhoto({ index: idx }, query, 2, { maxPrice: 50 }, DEFAULT_PHOTO_SEARCH);
    expect(hits).toHaveLength(2);
    expect(hits.map((h) => h.id)).not.toContain("tee-c");
  });

  it("best-photo match: a product with one photo like the shopper's beats one whose photos are merely similar on average", () => {
    // "jacket": front view = the photo, back and detail views unlike it (its mean is far from the photo).
    const jacket = [v(1, 0, 0, 0), v(0, 1, 0, 0), v(0, 0, 0, 1)];
    // "coat": both photos half-way to the photo; its mean is nearer the photo than jacket's mean.
    const coat = [v(1, 0, 1, 0), v(1, 0.2, 1, 0)];
    const mean = (vs: Float32Array[]) => l2normalize(vs.reduce((s, x) => s.map((y, i) => y + x[i]), new Float32Array(4)));
    const idx = new ShopVectorIndex({ dims, weights: { image: 0.4, color: 0.1, text: 0.5 } });
    const images = ProductImageIndex.create(dims.image);
    for (const [id, photos, price] of [["jacket", jacket, 80], ["coat", coat, 10], ["hat", [v(0, 0, 0.2, 1)], 10]] as const) {
      idx.upsert(id, { image: mean([...photos]), color: v(1, 0, 0), text: v(0, 0, 1) }, { ...attrs, price });
      images.setProduct(id, [...photos], { ...attrs, price });
    }
    const photo = { image: v(1, 0, 0, 0), color: v(1, 0, 0) };
    // The alternative it replaced: the combined index's mean image vectors rank "coat" first.
    const byMean = idx.searchByVectors({ image: photo.image }, { k: 3 });
    expect(byMean[0].id).toBe("coat");
    const best = rankForPhoto({ index: idx, images }, photo, 3, {}, noFeedback);
    expect(best.map((h) => h.id)).toEqual(["jacket", "coat", "hat"]);
    expect(best[0].contributions.image).toBeCloseTo(1, 5); // "why it matched": its best photo's cosine
    expect(best[0].score).toBeCloseTo(best[0].contributions.image, 6);
    // Filters apply to the per-photo search, and the count is still min(limit, matches).
    expect(rankForPhoto({ index: idx, images }, photo, 3, { maxPrice: 50 }, noFeedback).map((h) => h.id)).toEqual(["coat", "hat"]);
  });

  it("each hit keeps its product's best photo through the feedback re-rank (the card shows that photo's variant)", () => {
    const idx = index();
    const images = ProductImageIndex.create(dims.image);
    images.setProduct("tee-a", [v(0, 0, 0, 1), v(1, 0, 0.1, 0)], attrs);
    images.setProduct("tee-b", [v(0.5, 0, 1, 0)], attrs);
    images.setProduct("bag", [v(0, 1, 0, 0), v(0.6, 0, 0.8, 0.3)], attrs);
    const first = rankForPhoto({ index: idx, images }, query, 3, {}, noFeedback);
    expect(Object.fromEntries(first.map((h) => [h.id, h.photo]))).toEqual({ "tee-a": 1, "tee-b": 0, bag: 1 });
    const reranked = withFeedback(idx, first, 3, {}, DEFAULT_PHOTO_SEARCH.feedback);
    expect(reranked.every((h) => h.photo === undefined)).toBe(true);
    const back = withBestPhotos(reranked, new Map(first.map((h) => [h.id, h])));
    expect(Object.fromEntries(back.map((h) => [h.id, h.photo]))).toEqual({ "tee-a": 1, "tee-b": 0, bag: 1 });
    expect(back.map((h) => h.score)).toEqual(reranked.map((h) => h.score));
  });

  it("embeds the query views in one batch and averages them", async () => {
    const calls: number[] = [];
    const embedder = {
      modelId: "fake", dim: 2,
      embed: async (ims: { tensor: Float32Array }[]) => (calls.push(ims.length), ims.map((_, i) => v(i === 0 ? 1 : 0, i === 0 ? 0 : 1))),
      embedWithLocal: async () => [],
      close: async () => {},
    };
    const image = { tensor: new Float32Array(3 * 224 * 224), color: v(1, 0, 0) };
    const out = await embedPhoto(embedder, image, { zooms: [0.8] });
    expect(calls).toEqual([2]);
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 5);
    expect(out[1]).toBeCloseTo(Math.SQRT1_2, 5);
  });

  it("local re-rank: the head is re-ordered by regional matches (attributed to the image channel), the tail untouched", async () => {
    const first = ["a", "b", "c", "d"].map((id, i) => ({ id, score: 0.9 - i * 0.01, contributions: { image: 0.9 - i * 0.01, color: 0, text: 0 } }));
    const regions = (channel: number) => {
      const out = new Int8Array(LOCAL_BYTES);
      for (let r = 0; r < LOCAL_BYTES / CHANNELS; r++) out[r * CHANNELS + channel] = 127;
      return out;
    };
    const query = regions(5);
    const asked: string[][] = [];
    const load = async (ids: string[]) => {
      asked.push(ids);
      // "c" has a photo whose parts are the query's; "a" has other parts; "b" has nothing stored.
      return new Map([["a", [regions(9)]], ["c", [regions(9), regions(5)]]]);
    };
    const out = await rerankHeadByLocal(first, query, load, { head: 3, weight: 1 });
    expect(asked).toEqual([["a", "b", "c"]]);
    expect(out.map((h) => h.id)).toEqual(["c", "a", "b", "d"]);
    expect(out[0].score).toBeCloseTo(0.88 + 1, 6);
    expect(out[0].contributions.image).toBeCloseTo(out[0].score, 6);
    expect(out[3]).toBe(first[3]);
    // Only the first `keep` places are decided locally; the rest of the head keeps its first-pass order and scores.
    const kept = await rerankHeadByLocal(first, query, load, { head: 3, weight: 1 }, 1);
    expect(kept.map((h) => h.id)).toEqual(["c", "a", "b", "d"]);
    expect(kept[1]).toBe(first[0]);
    expect(kept[2]).toBe(first[1]);
    // Off: the list as it was, and nothing read.
    expect(await rerankHeadByLocal(first, query, load, { head: 0, weight: 1 })).toBe(first);
    expect(asked).toHaveLength(2);
  });
});
