/**
 * In-process benchmark of the "Also in other colours" row (app/ranking/other-colours.server.ts)
 * beside a similar-products search of the same index, on a synthetic shop with the production
 * channel dimensions (image 1,280, colour 52, text 512 hashed) and 5 product types.
 *   npx tsx scripts/bench-other-colours.ts [--products 20000] [--queries 300] [--json]
 * Prints p50 / p99 per call (ms) of rankSimilar (a search of the index: what an uncached answer
 * without a stored neighbour list costs) and of rankOtherColours (always a search: image channel
 * within the product type, then the colour rule), and the build time of the index.
 */
import { parseArgs } from "node:util";
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import type { LiveCard, LiveCatalog } from "../app/live-index/live-catalog";
import { rankOtherColours } from "../app/ranking/other-colours.server";
import { rankSimilar } from "../app/ranking/similar.server";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../app/shops/shop-settings";
import { syntheticProducts } from "./lib/synthetic-catalog";

const { values } = parseArgs({ options: { products: { type: "string", default: "20000" }, queries: { type: "string", default: "300" }, json: { type: "boolean", default: false } } });
const n = Number(values.products);
const queries = Number(values.queries);
const dims = { image: 1280, color: COLOR_DIM, text: TEXT_DIM };

const started = performance.now();
const index = new ShopVectorIndex({ dims, weights: DEFAULT_SETTINGS.weights, initialCapacity: n });
const cards = new Map<string, LiveCard>();
const ids: string[] = [];
// Tight clusters (noise 0.5): many near neighbours per product, as a catalog of look-alikes has.
for (const p of syntheticProducts({ n, dims, clusters: Math.max(10, Math.round(n / 200)), noise: 0.5, seed: 11 })) {
  const id = p.id.split("/").pop()!;
  index.upsert(id, p.vectors, p.attrs);
  cards.set(id, { id, handle: `p${id}`, title: `Product ${id}`, price: "10.00", currency: "USD", image: null, url: `/products/p${id}`, variantId: null, available: true, localImage: false });
  ids.push(id);
}
const buildSeconds = (performance.now() - started) / 1000;
const catalog = { index, cards, settings: DEFAULT_SETTINGS, rules: new Map() } as unknown as LiveCatalog;

function time(fn: (id: string) => unknown): { p50: number; p99: number; mean: number } {
  const t: number[] = [];
  for (let i = 0; i < queries; i++) {
    const id = ids[(i * 7919) % ids.length];
    const s = performance.now();
    fn(id);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r(t[Math.floor(t.length / 2)]), p99: r(t[Math.min(t.length - 1, Math.floor(t.length * 0.99))]), mean: r(t.reduce((a, b) => a + b, 0) / t.length) };
}

// Warm-up (JIT, caches), then measured.
for (let i = 0; i < 20; i++) {
  rankSimilar(catalog, ids[i], 10, {});
  rankOtherColours(catalog, ids[i], 4, {});
}
let shown = 0;
const similar = time((id) => rankSimilar(catalog, id, 10, {}));
const colours = time((id) => (shown += rankOtherColours(catalog, id, 4, {}).length));
const result = { products: n, queries, buildSeconds: Math.round(buildSeconds * 10) / 10, similarSearchMs: similar, otherColoursMs: colours, otherColoursCardsPerQuery: Math.round((shown / queries) * 100) / 100 };
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`${n} products (5 types), index built in ${result.buildSeconds} s; ${queries} queries`);
  console.log(`rankSimilar (index search, limit 10):       p50 ${similar.p50} ms  p99 ${similar.p99} ms  mean ${similar.mean} ms`);
  console.log(`rankOtherColours (row of 4):                p50 ${colours.p50} ms  p99 ${colours.p99} ms  mean ${colours.mean} ms  (${result.otherColoursCardsPerQuery} cards a query)`);
}
