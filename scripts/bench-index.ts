/**
 * Benchmark for app/search/shop-vector-index.server.ts on synthetic clustered vectors.
 *
 *   node --expose-gc --import tsx scripts/bench-index.ts --n 10000 [--dims 1280,52,576]
 *        [--queries 100] [--sweep] [--M 24] [--efc 200] [--ef 64] [--seed 1]
 *        [--noise 1.2] [--clusters 100]   (within-cluster noise; higher = harder)
 *        [--ef-exp 1]   filtered ef = ef / selectivity^exp (planner filteredEfExponent)
 *        [--ef-list 128,256,512]  also print unfiltered recall@10 and ms/query at each of these ef
 *                       (how far ef must grow with the catalog)
 *        [--contributions]  also compute per-channel contributions (one getPoint per hit)
 *        [--stream]     never hold the catalog in memory: build while generating, then compute the
 *                       exact answers in a second generating pass (default above 200,000 products)
 *        [--load DIR]   use the index saved by `scripts/bench-http.ts prepare` (same generated
 *                       catalog: seed 1, 100 clusters, noise 1.2) instead of building one; the
 *                       build time is then the one prepare printed
 *
 * Prints a table per configuration (with bytes per product) and one JSON line (prefixed "BENCH_JSON ")
 * with all figures; with --json only that line, on stdout, and the rest on stderr. `--sweep` first tries a few M/efConstruction/ef settings on
 * min(n, 10000) products and then runs the full benchmark with the cheapest
 * setting whose unfiltered recall@10 ≥ 0.97.
 */
import { COLOR_DIM } from "../app/embedding/image/color-signature.server";
import { textChannelDim } from "../app/embedding/text/text-channel";
import { TEXT_DIM } from "../app/embedding/text/text-vector";
import { blendedScore, type ChannelDims, type ChannelWeights } from "../app/search/combined-vector";
import { matchesFilter, type ProductFilter } from "../app/search/filters";
import { ShopVectorIndex, type SearchHit } from "../app/search/shop-vector-index.server";
import { syntheticCatalog, syntheticProducts, syntheticQuery, type SyntheticProduct } from "./lib/synthetic-catalog";
import type { PlannerConfig } from "../app/search/search-planner";
import { benchOutput } from "./lib/bench-output";

interface Args {
  n: number;
  dims: ChannelDims;
  queries: number;
  sweep: boolean;
  M: number;
  efc: number;
  ef: number;
  efList: number[];
  seed: number;
  noise: number;
  clusters: number;
  efExp: number;
  load?: string;
  stream: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dimsRaw = get("dims") ?? get("dim");
  // The real channels: MobileNetV2 pooled, colour signature, text (hashed vector + facet values) = 1,908-d.
  let dims: ChannelDims = { image: 1280, color: COLOR_DIM, text: textChannelDim(TEXT_DIM) };
  if (dimsRaw) {
    const parts = dimsRaw.split(/[,+]/).map(Number);
    dims = parts.length === 3 ? { image: parts[0], color: parts[1], text: parts[2] } : { image: parts[0], color: 0, text: 0 };
  }
  return {
    n: Number(get("n") ?? 10_000),
    dims,
    queries: Number(get("queries") ?? 100),
    sweep: argv.includes("--sweep"),
    M: Number(get("M") ?? 24), // the index's defaults (shop-vector-index.server.ts)
    efc: Number(get("efc") ?? 200),
    ef: Number(get("ef") ?? 64),
    seed: Number(get("seed") ?? 1),
    noise: Number(get("noise") ?? 1.2),
    clusters: Number(get("clusters") ?? 100),
    efExp: Number(get("ef-exp") ?? 1),
    efList: (get("ef-list") ?? "").split(",").filter(Boolean).map(Number),
    load: get("load"),
    stream: argv.includes("--stream") || Number(get("n") ?? 10_000) > 200_000,
  };
}

const weights: ChannelWeights = { image: 0.6, color: 0.15, text: 0.25 }; // DEFAULT_WEIGHTS of the live catalogs
const K = 10;
/**
 * Per-channel contributions cost one getPoint per hit (~0.1–0.25 ms at 1,844-d); the storefront
 * route does not use them, so the bench measures without unless --contributions is given.
 */
const CONTRIBUTIONS = process.argv.includes("--contributions");
const gc = (globalThis as { gc?: () => void }).gc;
const rssMB = () => {
  gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};
const mb = (b: number) => b / 2 ** 20;

function exactTopK(products: SyntheticProduct[], q: SyntheticProduct["vectors"], filter?: ProductFilter) {
  const scored: { id: string; score: number }[] = [];
  for (const p of products) {
    if (filter && !matchesFilter(p.attrs, filter, p.id)) continue;
    scored.push({ id: p.id, score: blendedScore(weights, q, p.vectors) });
  }
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  return scored.slice(0, K);
}

function recallOf(hits: SearchHit[], exact: { id: string }[]) {
  if (!exact.length) return 1;
  const got = new Set(hits.map((h) => h.id));
  return exact.filter((e) => got.has(e.id)).length / exact.length;
}

interface RunResult {
  M: number;
  efConstruction: number;
  ef: number;
  n: number;
  dim: number;
  buildSeconds: number;
  rssDeltaMB: number;
  indexEstimateMB: number;
  usedEstimateMB: number;
  hnswEstimateMB: number;
  quantizedMB: number;
  neighbourMB: number;
  rawVectorMB: number;
  bytesPerProduct: number;
  rssBytesPerProduct: number;
  exactScanMs: number;
  unfiltered: { recall: number; meanMs: number; speedup: number };
  filtered: Record<string, { matches: number; recall: number; meanMs: number; minReturned: number; plans: string }>;
}

function build(products: SyntheticProduct[], M: number, efc: number, minEf: number, efExp = 1) {
  const dims = { image: products[0].vectors.image!.length, color: products[0].vectors.color!.length, text: products[0].vectors.text!.length };
  const rss0 = rssMB();
  const t0 = performance.now();
  const idx = new ShopVectorIndex({ dims, weights, M, efConstruction: efc, initialCapacity: 1024, planner: { minEf, unfilteredEfBySize: [{ maxLive: Infinity, ef: minEf }], filteredEfExponent: efExp } });
  for (const p of products) idx.upsert(p.id, p.vectors, p.attrs);
  const buildSeconds = (performance.now() - t0) / 1000;
  const rssDeltaMB = rssMB() - rss0;
  return { idx, buildSeconds, rssDeltaMB };
}

function run(
  built: ReturnType<typeof build>,
  n: number,
  matchCounts: Map<string, number>,
  queries: SyntheticProduct["vectors"][],
  exact: { id: string; score: number }[][],
  exactMs: number,
  M: number,
  efc: number,
  ef: number,
  exactFiltered?: Map<string, { id: string }[][]>,
): RunResult {
  const { idx, buildSeconds, rssDeltaMB } = built;
  const s = idx.stats();

  let r = 0;
  idx.searchByVectors(queries[0], { k: K, efSearch: ef, contributions: CONTRIBUTIONS }); // warm-up
  const t1 = performance.now();
  const allHits = queries.map((q) => idx.searchByVectors(q, { k: K, efSearch: ef, contributions: CONTRIBUTIONS }));
  const meanMs = (performance.now() - t1) / queries.length;
  allHits.forEach((h, i) => (r += recallOf(h, exact[i])));

  const filtered: RunResult["filtered"] = {};
  if (exactFiltered) {
    for (const [tag, ex] of exactFiltered) {
      const filter = { tags: [tag] };
      const matches = matchCounts.get(tag) ?? 0;
      let fr = 0;
      let minReturned = Infinity;
      const plans = new Map<string, number>();
      const tf = performance.now();
      const hits = queries.map((q) => {
        const h = idx.searchByVectors(q, { k: K, filter, efSearch: ef, contributions: CONTRIBUTIONS });
        plans.set(idx.lastPlan!, (plans.get(idx.lastPlan!) ?? 0) + 1);
        return h;
      });
      const fms = (performance.now() - tf) / queries.length;
      hits.forEach((h, i) => {
        fr += recallOf(h, ex[i]);
        minReturned = Math.min(minReturned, h.length);
      });
      filtered[tag] = {
        matches,
        recall: fr / queries.length,
        meanMs: fms,
        minReturned,
        plans: [...plans].map(([k, v]) => `${k}×${v}`).join(","),
      };
    }
  }

  return {
    M,
    efConstruction: efc,
    ef,
    n,
    dim: s.dim,
    buildSeconds,
    rssDeltaMB,
    indexEstimateMB: mb(s.memory.totalBytes),
    usedEstimateMB: mb(s.memory.usedBytes),
    hnswEstimateMB: mb(s.memory.hnswBytes),
    quantizedMB: mb(s.memory.quantizedBytes),
    neighbourMB: mb(s.memory.neighbourBytes),
    rawVectorMB: mb(s.rawVectorBytes),
    /** Estimated resident bytes per product (graph, int8 copy, neighbour lists, attributes) and RSS growth per product. */
    bytesPerProduct: Math.round(s.memory.usedBytes / n),
    rssBytesPerProduct: Math.round((rssDeltaMB * 2 ** 20) / n),
    exactScanMs: exactMs,
    unfiltered: { recall: r / queries.length, meanMs, speedup: exactMs / meanMs },
    filtered,
  };
}

function printRun(res: RunResult) {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    `\nM=${res.M} efC=${res.efConstruction} ef=${res.ef}  n=${res.n} dim=${res.dim}\n` +
      `  build ${f(res.buildSeconds, 1)} s (${f((res.buildSeconds * 1000) / res.n, 2)} ms/product)\n` +
      `  memory: RSS Δ ${f(res.rssDeltaMB, 0)} MB, estimate ${f(res.usedEstimateMB, 0)} MB used / ${f(res.indexEstimateMB, 0)} MB allocated ` +
      `(hnsw ${f(res.hnswEstimateMB, 0)} + int8 ${f(res.quantizedMB, 0)} + lists ${f(res.neighbourMB, 0)}), raw float32 vectors ${f(res.rawVectorMB, 0)} MB ` +
      `→ RSS/raw ${f(res.rssDeltaMB / res.rawVectorMB)}×; ${res.bytesPerProduct} bytes per product estimated, ${res.rssBytesPerProduct} by RSS\n` +
      `  unfiltered: recall@10 ${f(res.unfiltered.recall, 3)}, ${f(res.unfiltered.meanMs, 2)} ms/query vs exact JS scan ` +
      `${f(res.exactScanMs, 1)} ms → ${f(res.unfiltered.meanMs / res.exactScanMs, 4)} of exact (${f(res.unfiltered.speedup, 0)}× faster)`,
  );
  const rows = Object.entries(res.filtered);
  if (rows.length) {
    console.log("  filter   matches  selectivity  recall@10  min k returned  ms/query  plans");
    for (const [tag, x] of rows) {
      console.log(
        `  ${tag.padEnd(7)}  ${String(x.matches).padStart(7)}  ${f((100 * x.matches) / res.n, 1).padStart(10)}%  ${f(x.recall, 3).padStart(9)}  ${String(
          x.minReturned,
        ).padStart(14)}  ${f(x.meanMs, 2).padStart(8)}  ${x.plans}`,
      );
    }
  }
}

const FILTER_TAGS = ["p1", "p10", "p50"];

function countTags(products: SyntheticProduct[]) {
  return new Map(FILTER_TAGS.map((t) => [t, products.filter((p) => p.attrs.tags.includes(t)).length]));
}

/** Keeps the best K by score (ties by id, as exactTopK). */
function pushTopK(top: { id: string; score: number }[], id: string, score: number) {
  if (top.length === K) {
    const last = top[K - 1];
    if (score < last.score || (score === last.score && id > last.id)) return;
    top.pop();
  }
  let i = top.length;
  while (i > 0 && (top[i - 1].score < score || (top[i - 1].score === score && top[i - 1].id > id))) i--;
  top.splice(i, 0, { id, score });
}

/**
 * Million-product mode: the catalog is generated twice (same seed) instead of held in memory —
 * once to build the index, once to compute exact answers — so memory is the index's own.
 */
async function mainStreaming(args: Args) {
  const opts = { n: args.n, dims: args.dims, clusters: args.clusters, seed: args.seed, noise: args.noise };
  const queryOf = new Map<number, number[]>();
  for (let i = 0; i < args.queries; i++) {
    const p = (i * 7919) % args.n;
    queryOf.set(p, [...(queryOf.get(p) ?? []), i]);
  }
  const queries: SyntheticProduct["vectors"][] = new Array(args.queries);
  const rss0 = rssMB();
  const t0 = performance.now();
  const idx = new ShopVectorIndex({ dims: args.dims, weights, M: args.M, efConstruction: args.efc, initialCapacity: 1024, planner: { minEf: 64, unfilteredEfBySize: [{ maxLive: Infinity, ef: 64 }], filteredEfExponent: args.efExp } });
  let i = 0;
  const progress = (what: string, done: number, started: number) => {
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`\r${what} ${done.toLocaleString("en")}/${args.n.toLocaleString("en")}  ${(done / s).toFixed(0)}/s  ETA ${(((args.n - done) * s) / done / 60).toFixed(1)} min   `);
  };
  for (const p of syntheticProducts(opts)) {
    for (const q of queryOf.get(i) ?? []) queries[q] = syntheticQuery(p.vectors, 10_000 + q, 0.6);
    idx.upsert(p.id, p.vectors, p.attrs);
    if (++i % 10_000 === 0) progress("build", i, t0);
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  const rssDeltaMB = rssMB() - rss0;
  process.stderr.write(`\nbuilt in ${buildSeconds.toFixed(0)} s, RSS Δ ${rssDeltaMB.toFixed(0)} MB\n`);

  const exact = queries.map(() => [] as { id: string; score: number }[]);
  const exactFiltered = new Map(FILTER_TAGS.map((t) => [t, queries.map(() => [] as { id: string; score: number }[])]));
  const matchCounts = new Map(FILTER_TAGS.map((t) => [t, 0]));
  let scoringMs = 0;
  const t1 = performance.now();
  i = 0;
  for (const p of syntheticProducts(opts)) {
    const tags = FILTER_TAGS.filter((t) => p.attrs.tags.includes(t));
    for (const t of tags) matchCounts.set(t, matchCounts.get(t)! + 1);
    const ts = performance.now();
    for (let q = 0; q < queries.length; q++) {
      const score = blendedScore(weights, queries[q], p.vectors);
      pushTopK(exact[q], p.id, score);
      for (const t of tags) pushTopK(exactFiltered.get(t)![q], p.id, score);
    }
    scoringMs += performance.now() - ts;
    if (++i % 10_000 === 0) progress("exact", i, t1);
  }
  process.stderr.write("\n");
  const built = { idx, buildSeconds, rssDeltaMB };
  const res = run(built, args.n, matchCounts, queries, exact, scoringMs / queries.length, args.M, args.efc, args.ef, exactFiltered);
  printRun(res);
  const efSweep = efListSweep(idx, queries, exact, args.efList);
  emit({ ...res, efSweep });
}

/** Unfiltered recall@10 and mean ms/query at each ef of `efs` (same queries and exact answers). */
function efListSweep(idx: ShopVectorIndex, queries: SyntheticProduct["vectors"][], exact: { id: string }[][], efs: number[]) {
  const out: { ef: number; recall: number; meanMs: number }[] = [];
  for (const ef of efs) {
    const t = performance.now();
    const hits = queries.map((q) => idx.searchByVectors(q, { k: K, efSearch: ef, contributions: CONTRIBUTIONS }));
    const meanMs = (performance.now() - t) / queries.length;
    const recall = hits.reduce((s, h, i) => s + recallOf(h, exact[i]), 0) / queries.length;
    out.push({ ef, recall, meanMs });
    console.log(`  ef ${String(ef).padStart(5)}: recall@10 ${recall.toFixed(3)}, ${meanMs.toFixed(2)} ms/query`);
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.stream && !args.load && !args.sweep) return mainStreaming(args);
  console.log(`Generating ${args.n} products at dims ${args.dims.image}+${args.dims.color}+${args.dims.text} …`);
  const products = syntheticCatalog({ n: args.n, dims: args.dims, clusters: args.clusters, seed: args.seed, noise: args.noise });
  if (args.load) products.forEach((p, i) => (p.id = String(100000 + i))); // ids as bench-http prepare wrote them
  const queries = Array.from({ length: args.queries }, (_, i) =>
    syntheticQuery(products[(i * 7919) % products.length].vectors, 10_000 + i, 0.6),
  );

  const te = performance.now();
  const exact = queries.map((q) => exactTopK(products, q));
  const exactMs = (performance.now() - te) / queries.length;
  const exactFiltered = new Map<string, { id: string }[][]>();
  for (const tag of FILTER_TAGS) exactFiltered.set(tag, queries.map((q) => exactTopK(products, q, { tags: [tag] })));

  let chosen = { M: args.M, efc: args.efc, ef: args.ef };
  const sweep: RunResult[] = [];
  if (args.sweep) {
    const sub = products.slice(0, Math.min(products.length, 10_000));
    const subExact = sub === products ? exact : queries.map((q) => exactTopK(sub, q));
    const subMs = sub === products ? exactMs : exactMs * (sub.length / products.length);
    console.log(`\nSweep on ${sub.length} products:`);
    console.log("  M   efC   ef   build s  recall@10  ms/query");
    for (const [M, efc] of [
      [8, 100],
      [16, 100],
      [16, 200],
      [32, 200],
    ]) {
      const built = build(sub, M, efc, 16); // minEf 16 so the sweep can go below the production floor
      for (const ef of [16, 32, 64, 128]) {
        const r = run(built, sub.length, new Map(), queries, subExact, subMs, M, efc, ef);
        sweep.push(r);
        console.log(
          `  ${String(M).padEnd(3)} ${String(efc).padEnd(5)} ${String(ef).padEnd(4)} ${r.buildSeconds.toFixed(1).padStart(7)}  ${r.unfiltered.recall
            .toFixed(3)
            .padStart(9)}  ${r.unfiltered.meanMs.toFixed(2).padStart(8)}`,
        );
      }
    }
    // Cheapest config (build time first, then query time) reaching recall ≥ 0.97
    // at ef ≥ 64, the production floor (planner minEf).
    const ok = sweep.filter((r) => r.unfiltered.recall >= 0.97 && r.ef >= 64);
    ok.sort((a, b) => a.buildSeconds - b.buildSeconds || a.unfiltered.meanMs - b.unfiltered.meanMs);
    if (ok[0]) chosen = { M: ok[0].M, efc: ok[0].efConstruction, ef: ok[0].ef };
    console.log(`\nChosen: M=${chosen.M} efConstruction=${chosen.efc} ef=${chosen.ef}`);
  }

  let built: ReturnType<typeof build>;
  if (args.load) {
    const rss0 = rssMB();
    const idx = await ShopVectorIndex.load(args.load);
    if (!idx || idx.size !== products.length) throw new Error(`no index of ${products.length} products in ${args.load}`);
    const planner = (idx as unknown as { plannerConfig: PlannerConfig }).plannerConfig;
    planner.filteredEfExponent = args.efExp;
    // --ef is the unfiltered ef here (production: 64 up to 50k products, 128 up to 100k, 256 up to 500k, then 512)
    planner.unfilteredEfBySize = [{ maxLive: Infinity, ef: args.ef }];
    planner.minEf = Math.min(args.ef, 64); // base of the filtered ef (production: minEf = 64)
    if (JSON.stringify(idx.weights) !== JSON.stringify(weights)) throw new Error(`index weights ${JSON.stringify(idx.weights)} differ from the bench's`);
    built = { idx, buildSeconds: NaN, rssDeltaMB: rssMB() - rss0 };
    const s = idx.stats();
    chosen = { M: s.M, efc: s.efConstruction, ef: args.ef };
  } else built = build(products, chosen.M, chosen.efc, 64, args.efExp);
  const res = run(built, products.length, countTags(products), queries, exact, exactMs, chosen.M, chosen.efc, chosen.ef, exactFiltered);
  printRun(res);
  emit({
    ...res,
    sweep: sweep.map((r) => ({ M: r.M, efC: r.efConstruction, ef: r.ef, build_s: r.buildSeconds, recall: r.unfiltered.recall, ms: r.unfiltered.meanMs })),
  });
}

const { emit } = benchOutput();

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
