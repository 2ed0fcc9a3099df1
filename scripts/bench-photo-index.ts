/**
 * Photo-search index step, before/after side by side: the combined per-product index searched with
 * the mean image vector ("mean", the previous photo search) vs the per-photo ProductImageIndex
 * ranking products by their best photo ("best-photo"). Synthetic clustered vectors at the real
 * dimensions (image 1280, colour and text as the app uses them), `--photos` photos per product
 * (each a noisy copy of the product's vector).
 *
 *   node --expose-gc --import tsx scripts/bench-photo-index.ts --n 10000 [--photos 4] [--queries 200] [--k 40]
 *
 * Prints build time, estimated resident bytes (stats().memory.usedBytes) and heap+external delta,
 * and search p50/p95 (k = the photo search's first-pass pool, 40), unfiltered and with a 10% tag
 * filter; one JSON line prefixed "BENCH_JSON ".
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import { ProductImageIndex } from "../app/search/product-image-index.server";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import { gaussian, normalize, rng, syntheticCatalog } from "./lib/synthetic-catalog";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    photos: { type: "string", default: "4" },
    queries: { type: "string", default: "200" },
    k: { type: "string", default: "40" },
  },
});
const n = Number(values.n);
const photosPer = Number(values.photos);
const nQueries = Number(values.queries);
const k = Number(values.k);
const dims = { image: 1280, color: COLOR_DIM, text: TEXT_DIM };
const weights = { image: 0.6, color: 0.1, text: 0.3 };

const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};
const rss = () => (gc?.(), process.memoryUsage().rss);
const pct = (xs: number[], p: number) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const MB = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

const rand = rng(11);
const products = syntheticCatalog({ n, dims, clusters: 100, noise: 1.2, seed: 1 });
const noisy = (v: Float32Array, amount: number) => normalize(v.map((x) => x + amount * gaussian(rand) / Math.sqrt(v.length)));
const photoVectors = products.map((p) => Array.from({ length: photosPer }, () => noisy(p.vectors.image as Float32Array, 0.8)));

let rss0 = rss();
let m0 = mem();
let t0 = performance.now();
const combined = new ShopVectorIndex({ dims, weights });
for (const p of products) combined.upsert(p.id, p.vectors, p.attrs);
const combinedBuild = performance.now() - t0;
const combinedMem = { used: combined.stats().memory.usedBytes, heap: mem() - m0, rss: rss() - rss0 };

rss0 = rss();
m0 = mem();
t0 = performance.now();
const images = ProductImageIndex.create(dims.image);
products.forEach((p, i) => images.setProduct(p.id, photoVectors[i], p.attrs));
const imagesBuild = performance.now() - t0;
const imagesMem = { used: images.stats().memory.usedBytes, heap: mem() - m0, rss: rss() - rss0 };

const queries = Array.from({ length: nQueries }, (_, i) => photoVectors[(i * 7919) % n][i % photosPer].map((x) => x));
function time(fn: (q: Float32Array) => unknown): { p50: number; p95: number } {
  for (const q of queries.slice(0, 10)) fn(q); // warm-up
  const ms: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    fn(q);
    ms.push(performance.now() - t);
  }
  return { p50: Math.round(pct(ms, 50) * 100) / 100, p95: Math.round(pct(ms, 95) * 100) / 100 };
}
const filter = { tags: ["p10"] };
const scaled = (q: Float32Array) => q.map((x) => x / weights.image);
const result = {
  n, photosPer, k, load: os.loadavg().map((x) => Math.round(x * 100) / 100),
  mean: {
    buildMs: Math.round(combinedBuild), usedMB: MB(combinedMem.used), heapMB: MB(combinedMem.heap), rssMB: MB(combinedMem.rss),
    search: time((q) => combined.searchByVectors({ image: scaled(q) }, { k })),
    searchFiltered10: time((q) => combined.searchByVectors({ image: scaled(q) }, { k, filter })),
  },
  bestPhoto: {
    buildMs: Math.round(imagesBuild), usedMB: MB(imagesMem.used), heapMB: MB(imagesMem.heap), rssMB: MB(imagesMem.rss),
    search: time((q) => images.search(q, { k })),
    searchFiltered10: time((q) => images.search(q, { k, filter })),
  },
};
console.log(`products ${n} × ${photosPer} photos, k ${k}, load ${result.load.join(" ")}`);
console.log("index        build ms  used MB  heap+ext MB  rss MB  search p50/p95 ms  10% filter p50/p95 ms");
for (const [name, r] of [["mean", result.mean], ["best-photo", result.bestPhoto]] as const) {
  console.log(
    `${name.padEnd(12)} ${String(r.buildMs).padStart(8)}  ${String(r.usedMB).padStart(7)}  ${String(r.heapMB).padStart(11)}  ${String(r.rssMB).padStart(6)}  ${`${r.search.p50}/${r.search.p95}`.padStart(17)}  ${`${r.searchFiltered10.p50}/${r.searchFiltered10.p95}`.padStart(20)}`,
  );
}
console.log(`BENCH_JSON ${JSON.stringify(result)}`);
