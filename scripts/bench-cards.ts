/**
 * In-process micro-benchmark of hits → cards (app/ranking/cards.ts, on the /proxy/similar hot path).
 *   npx tsx scripts/bench-cards.ts [--products 20000] [--with-variants 0.5] [--cards-module <path to another checkout's app/ranking/cards.ts>]
 * Builds a live catalog's card map (a share of the products with colour variants that have their
 * own photos), then times toCards for 20-hit answers (similar products: no best photo; photo
 * search: a best photo per hit), best of 15 rounds of 20,000 calls. --cards-module compares
 * another checkout's toCards on the same cards (before/after).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { cardFromRow } from "../app/live-index/product-card";
import type { LiveCard } from "../app/live-index/live-catalog";
import type { SearchHit } from "../app/search/shop-vector-index.server";
import { DEFAULT_SETTINGS } from "../app/shops/shop-settings";
import { seededRandom } from "../app/shared/seeded-random";

const { values } = parseArgs({
  options: { products: { type: "string", default: "20000" }, "with-variants": { type: "string", default: "0.5" }, "cards-module": { type: "string" } },
});
const n = Number(values.products);
const share = Number(values["with-variants"]);
const mod = (await import(values["cards-module"] ? pathToFileURL(path.resolve(values["cards-module"])).href : "../app/ranking/cards")) as typeof import("../app/ranking/cards");
const rnd = seededRandom(7);
const cards = new Map<string, LiveCard>();
for (let i = 0; i < n; i++) {
  const id = String(8_000_000_000 + i);
  const photos = [0, 1, 2, 3].map((k) => `https://cdn.shopify.com/s/files/1/p${i}-${k}.jpg`);
  const variants = rnd() < share ? [1, 2, 3].map((k) => ({ id: `${id}${k}`, price: (10 + k).toFixed(2), available: rnd() > 0.2, photo: k })) : [];
  cards.set(
    id,
    cardFromRow({
      id,
      handle: `p-${i}`,
      title: `Product ${i}`,
      priceText: "10.00",
      currency: "USD",
      imageUrls: JSON.stringify(photos),
      onlineStoreUrl: null,
      available: true,
      variants: JSON.stringify(variants),
    }),
  );
}
const catalog = { cards, settings: { ...DEFAULT_SETTINGS, hideOutOfStock: true } };
const answers = (withPhoto: boolean): SearchHit[][] =>
  Array.from({ length: 1000 }, () =>
    Array.from({ length: 20 }, () => {
      const hit: SearchHit = { id: String(8_000_000_000 + Math.floor(rnd() * n)), score: rnd(), contributions: { image: 0, color: 0, text: 0 } };
      if (withPhoto) hit.photo = Math.floor(rnd() * 4);
      return hit;
    }),
  );
for (const [label, hits] of [
  ["similar (no best photo)", answers(false)],
  ["photo search (best photo)", answers(true)],
] as const) {
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < 15; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) sink += mod.toCards(catalog, hits[i % hits.length], "/apps/lookalike").length;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 20_000);
  }
  console.log(`${label}: ${(best / 1000).toFixed(2)} µs per 20-card answer (best of 15 × 20,000; ${sink > 0 ? "ok" : "?"})`);
}
