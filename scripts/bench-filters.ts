/**
 * Filtered similar-products searches on a saved shop index: ms per search (planner + search, the
 * storefront's k) for filters of 1–80% selectivity, best of two timed rounds after a warm-up.
 *   npx tsx scripts/bench-filters.ts [--dir DATA_DIR/indexes/<shop>] [--searches 200]
 * Default: the 100k-product shop `scripts/bench-http.ts prepare` writes. For an A/B, run it from two
 * checkouts (e.g. a `git worktree` of the previous commit) on the same index, one after the other.
 */
import { parseArgs } from "node:util";
import { ShopVectorIndex } from "../app/search/shop-vector-index.server";

const { values } = parseArgs({ options: { dir: { type: "string" }, searches: { type: "string", default: "200" } } });
const dir = values.dir ?? "/tmp/lookalike-bench/data/indexes/bench-shop.myshopify.com";
const idx = await ShopVectorIndex.load(dir);
if (!idx) {
  console.error(`no saved index in ${dir} (make one with: npx tsx scripts/bench-http.ts prepare --n 100000 --dir /tmp/lookalike-bench)`);
  process.exit(2);
}
// bench-http's products are numbered from 100000; any other shop: its first ids in label order.
const known = idx.has("100000") ? null : [...((idx as unknown as { idToLabel: Map<string, number> }).idToLabel.keys())];
const ids = Array.from({ length: Number(values.searches) }, (_, i) => (known ? known[(i * 7919) % known.length] : String(100000 + ((i * 7919) % idx.size))));
console.log(`${idx.size} products in ${dir}, ${ids.length} searches per filter, k 15`);
const filters: [string, object][] = [
  // bench-http's synthetic catalog: tags p1 / p10 / p50 on 1 / 10 / 50% of products, prices uniform in 0–100, 80% available.
  ["tag p1 (1%)", { tags: ["p1"] }], ["tag p10 (10%)", { tags: ["p10"] }], ["tag p50 (50%)", { tags: ["p50"] }],
  ["price 10-12", { minPrice: 10, maxPrice: 12 }], ["price 20-60", { minPrice: 20, maxPrice: 60 }],
  ["available", { available: true }], ["exclude 3 ids", { excludeIds: ["100001", "100002", "100003"] }],
];
const attributesBefore = idx.stats().memory.attributesBytes;
const out: Record<string, number> = {};
for (const round of [0, 1, 2]) for (const [name, filter] of filters) {
  const t = performance.now();
  for (const id of ids) idx.searchByProduct(id, { k: 15, filter: filter as never, contributions: false });
  const ms = (performance.now() - t) / ids.length;
  if (round > 0) out[name] = Math.min(out[name] ?? Infinity, ms);
  if (round === 2) console.log(`${name.padEnd(16)} ${out[name].toFixed(2)} ms/search (${idx.lastPlan})`);
}
// What the attribute indexes (price order, posting lists; built by the first filtered search) hold.
const postingsMB = (idx.stats().memory.attributesBytes - attributesBefore) / 2 ** 20;
console.log(`attribute indexes: ${postingsMB.toFixed(1)} MB for ${idx.size} products`);
console.log("BENCH_JSON " + JSON.stringify({ products: idx.size, searches: ids.length, msPerSearch: out, postingsMB: Number(postingsMB.toFixed(2)) }));
