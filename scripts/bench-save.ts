/**
 * The event loop while a shop's index snapshot is saved (ShopVectorIndex.save): the longest
 * stretch the loop was blocked, seen by a 1 ms setInterval probe and by
 * perf_hooks.monitorEventLoopDelay (resolution 1 ms), and the save's wall time.
 *
 *   node --import tsx scripts/bench-save.ts [--n 20000] [--photos 0] [--saves 3] [--cache DIR]
 *
 * Synthetic clustered products at the real dimensions (image 1280, colour 52, text 512: 1,844-d)
 * with ten tags each. `--photos P` also saves a per-photo index (image channel only, P points a
 * product with the product's attributes, as ProductImageIndex stores them). The indexes are built
 * with efConstruction 16 (graph quality does not change what a save writes, and the build is much
 * faster); with `--cache DIR` they are saved there once and loaded on later runs, so old and new
 * code can be compared on the same index. Trust the interval probe first: the histogram has been
 * seen to miss a long first stretch. Figures (before/after the thread-pool write): docs/decisions/0032-no-long-stretches-on-the-event-loop.md.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import { gaussian, normalize, rng, syntheticProducts } from "./lib/synthetic-catalog";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    photos: { type: "string", default: "0" },
    saves: { type: "string", default: "3" },
    cache: { type: "string" },
  },
});
const n = Number(values.n);
const photos = Number(values.photos);
const saves = Number(values.saves);
const dims = { image: 1280, color: COLOR_DIM, text: 512 };

async function obtain(name: string, build: () => ShopVectorIndex): Promise<ShopVectorIndex> {
  const dir = values.cache && path.join(values.cache, name);
  if (dir && existsSync(path.join(dir, "manifest.json"))) {
    const loaded = await ShopVectorIndex.load(dir);
    if (loaded) return loaded;
  }
  const t0 = performance.now();
  const idx = build();
  console.log(`${name}: built ${idx.size} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (dir) await idx.save(dir);
  return idx;
}

const extraTags = (p: number) => Array.from({ length: 10 }, (_, i) => `tag-${(p * 7 + i * 13) % 400}-${i}`);

const combined = await obtain("combined", () => {
  const idx = new ShopVectorIndex({ dims, weights: { image: 0.6, color: 0.1, text: 0.3 }, efConstruction: 16 });
  for (const p of syntheticProducts({ n, dims, clusters: 100, noise: 1.2, seed: 1 })) {
    idx.upsert(p.id, p.vectors, { ...p.attrs, tags: [...p.attrs.tags, ...extraTags(idx.size)] });
  }
  return idx;
});

const images =
  photos > 0
    ? await obtain(`photos-${photos}`, () => {
        const rand = rng(11);
        const idx = new ShopVectorIndex({ dims: { image: 1280, color: 0, text: 0 }, weights: { image: 1, color: 0, text: 0 }, efConstruction: 16 });
        let p = 0;
        for (const product of syntheticProducts({ n, dims: { image: 1280, color: 0, text: 0 }, clusters: 100, noise: 1.2, seed: 1 })) {
          const attrs = { ...product.attrs, tags: [...product.attrs.tags, ...extraTags(p++)] };
          for (let i = 0; i < photos; i++) {
            const v = (product.vectors.image as Float32Array).map((x) => x + (0.8 * gaussian(rand)) / Math.sqrt(1280));
            idx.upsert(`${product.id}#${i}`, { image: normalize(v) }, attrs);
          }
        }
        return idx;
      })
    : null;

/** Runs `work` while probing the event loop; returns its longest block (ms) and wall time. */
async function probe(work: () => Promise<void>): Promise<{ intervalMaxMs: number; histogramMaxMs: number; wallMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  h.enable(); // (not reset afterwards: a reset makes the histogram miss the stretch right after it)
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  worst = 0;
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5)); // let the probe see the end of the last stretch
  clearInterval(timer);
  h.disable();
  return { intervalMaxMs: worst, histogramMaxMs: h.max / 1e6, wallMs };
}

const out = mkdtempSync(path.join(os.tmpdir(), "bench-save-"));
try {
  for (const [name, idx] of [["combined", combined], ["photos", images]] as const) {
    if (!idx) continue;
    for (let s = 0; s < saves; s++) {
      const r = await probe(() => idx.save(path.join(out, name)));
      console.log(
        `${name} (${idx.size} points × ${idx.dims.image + idx.dims.color + idx.dims.text}-d) save ${s + 1}: ` +
          `longest block ${r.intervalMaxMs.toFixed(1)} ms (interval probe), ${r.histogramMaxMs.toFixed(1)} ms (histogram max), wall ${r.wallMs.toFixed(0)} ms`,
      );
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
