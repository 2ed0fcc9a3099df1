/**
 * Precision of "Also in other colours" (issue 24, decision 49): same item, other colour, against
 * luma-dev's colour labels.
 *   npx tsx scripts/measure-other-colours.ts [--dataset ../shared/datasets/luma-dev] [--colours 4] [--sweep] [--luminance] [--json]
 *
 * Builds a catalog that lists each colour as its own product (scripts/lib/colour-catalog.ts: an
 * item's featured photo and its held-back photo of another colour become two products; single-colour
 * items give a same-colour twin), starts the real web server and worker on a fresh SQLite database,
 * imports it (catalog:import --wait) and asks `/proxy/similar?product_id=…&colours=n` (signed as the
 * app proxy signs) for every product of a pair. A card of the row is right when it is the product's
 * twin in another colour; anything else (another item, or the same-colour twin) is wrong.
 * Prints: precision (right cards / cards shown), precision of the first card, recall (pairs whose
 * twin the row shows), how often a same-colour twin is shown, the share of cards of the same leaf
 * category, and, for comparison, the same figures for the first n cards of the similar list.
 * On a dataset without colour labels (smartstore-dev) there are no pairs: every product is asked
 * about and only how often the row shows cards (and of which leaf category) is printed.
 * --sweep also ranks the row in this process (LiveCatalogs over the same database) for a grid of
 * thresholds (app/ranking/other-colours.server.ts `OtherColoursRule`).
 * --luminance (measured, not shipped): the same rule with a luminance-only vector as "shape" — each
 * product's photos embedded in grey in this process (scripts/lib/luminance-experiment.ts).
 * Needs the production build (`npx remix vite:build`), Redis and the model (npm run setup).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { createPrismaClient } from "../app/db.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../app/embedding/models/model-registry";
import { LiveCatalogs } from "../app/live-index/live-catalogs.server";
import { OTHER_COLOURS_RULE, rankOtherColours, type OtherColoursRule } from "../app/ranking/other-colours.server";
import { migrateDatabase } from "./setup";
import { appEnv, ROOT, runCli, startWeb, startWorker, TEST_API_SECRET, type RunningProcess } from "./lib/app-processes";
import { buildColourCatalog, type ColourCase } from "./lib/colour-catalog";
import { luminanceVectors, rankByLuminance } from "./lib/luminance-experiment";

const { values } = parseArgs({
  options: {
    dataset: { type: "string", default: path.resolve(ROOT, "../shared/datasets/luma-dev") },
    colours: { type: "string", default: "4" },
    sweep: { type: "boolean", default: false },
    luminance: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const shop = "colours-eval.myshopify.com";
const n = Number(values.colours);
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Figures {
  pairs: number;
  rowsShown: number;
  cards: number;
  precision: number;
  precisionFirst: number;
  recall: number;
  sameColourTwinShown: number;
  sameLeafShare: number;
}

const share = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : 0);

/** The figures for rows (product id → card ids, best first) over the cases. */
function figures(cases: ColourCase[], rows: Map<string, string[]>, categories: Map<string, string>): Figures {
  let shown = 0;
  let cards = 0;
  let right = 0;
  let firstRight = 0;
  let found = 0;
  let sameShown = 0;
  let sameLeaf = 0;
  const other = cases.filter((c) => c.otherColour);
  for (const c of cases) {
    const row = rows.get(c.productId) ?? [];
    if (row.length) shown++;
    cards += row.length;
    sameLeaf += row.filter((id) => categories.get(id) === c.category).length;
    if (!c.otherColour) {
      if (row.includes(c.twinId)) sameShown++;
      continue;
    }
    if (row.includes(c.twinId)) {
      right++;
      found++;
    }
    if (row[0] === c.twinId) firstRight++;
  }
  return {
    pairs: other.length,
    rowsShown: share(shown, cases.length),
    cards,
    precision: share(right, cards),
    precisionFirst: share(firstRight, cases.filter((c) => (rows.get(c.productId) ?? []).length).length),
    recall: share(found, other.length),
    sameColourTwinShown: share(sameShown, cases.length - other.length),
    sameLeafShare: share(sameLeaf, cards),
  };
}

const work = mkdtempSync(path.join(os.tmpdir(), "lookalike-colours-"));
const built = buildColourCatalog(path.resolve(values.dataset!), path.join(work, "catalog"));
const { file, categories, products } = built;
// A catalog without colour labels (smartstore-dev) gives no pairs: every product is asked about,
// and only how much the row shows can be told (whether a card is the same item, labels cannot say).
const labelled = built.cases.length > 0;
const cases: ColourCase[] = labelled ? built.cases : [...categories].map(([productId, category]) => ({ productId, twinId: "", otherColour: false, category }));
const databaseUrl = `file:${path.join(work, "eval.db")}`;
const app = await appEnv(databaseUrl, { WORKER_CONCURRENCY: "2", RATE_LIMIT_SIMILAR_IP: "0", RATE_LIMIT_SIMILAR_SHOP: "0" });
let web: RunningProcess | undefined;
let worker: RunningProcess | undefined;
const rowOf = new Map<string, string[]>();
const similarOf = new Map<string, string[]>();
let timing = { requests: 0, ms: 0 };
let notIndexed = 0;
const sweep: (OtherColoursRule & Figures)[] = [];
const luminance: ({ minLuma: number; maxColour: number } & Figures)[] = [];
const pairStats: { twins: string; pairs: number; image: number[]; colour: number[] }[] = [];
/** Minimum, 10th percentile, median, 90th percentile, maximum (3 decimals). */
function quantiles(xs: number[]): number[] {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return [];
  return [0, 0.1, 0.5, 0.9, 1].map((q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] * 1000) / 1000);
}
try {
  await migrateDatabase(databaseUrl);
  [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  log(`measure-other-colours: importing ${products} products${labelled ? ` (${cases.length / 2} items listed as two products)` : ""} …`);
  const imported = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, "--wait"], app.env, 1_800_000);
  if (imported.code !== 0) throw new Error(`catalog import failed:\n${imported.stderr}`);
  log(imported.stdout.trim().split("\n").slice(-3).join("\n"));
  for (const c of [...cases]) {
    const query = signAppProxyQuery(new URLSearchParams({ product_id: c.productId, limit: String(n), colours: String(n) }), { shop, secret: TEST_API_SECRET });
    const started = performance.now();
    const res = await fetch(`${app.baseUrl}/proxy/similar?${query}`);
    timing = { requests: timing.requests + 1, ms: timing.ms + performance.now() - started };
    // An unlabelled catalog may hold products that could not be embedded (no usable photo): not asked about.
    if (res.status === 404 && !labelled) {
      notIndexed++;
      cases.splice(cases.indexOf(c), 1);
      continue;
    }
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { products: { id: string }[]; colours?: { id: string }[] };
    rowOf.set(
      c.productId,
      (body.colours ?? []).map((p) => p.id),
    );
    if (!labelled && body.colours?.length) log(`row of ${c.productId}: ${body.colours.map((p) => p.id).join(", ")}`);
    similarOf.set(
      c.productId,
      body.products.map((p) => p.id),
    );
  }
  if (values.sweep || values.luminance) {
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const db = createPrismaClient(databaseUrl);
    const catalogs = new LiveCatalogs({ db, dataDir: mkdtempSync(path.join(work, "sweep-")), imageModelId: spec.id, imageDim: spec.dim });
    try {
      const catalog = await catalogs.get(shop);
      if (values.luminance && labelled) {
        const luma = await luminanceVectors(file, String(app.env.MODELS_DIR), log);
        for (const minLuma of [0.5, 0.6, 0.65, 0.7, 0.75, 0.8]) {
          const rows = new Map(cases.map((c) => [c.productId, rankByLuminance(catalog, luma, c.productId, n, minLuma, OTHER_COLOURS_RULE.maxColour)]));
          luminance.push({ minLuma, maxColour: OTHER_COLOURS_RULE.maxColour, ...figures(cases, rows, categories) });
        }
      }
      if (values.sweep) {
        // Where the twins lie: image cosine and colour similarity of each pair, by the labels' kind of twin.
        const dotOf = (a?: Float32Array, b?: Float32Array) => (a && b ? a.reduce((t, x, i) => t + x * b[i], 0) : NaN);
        for (const other of [true, false]) {
          const pairs = cases.filter((c) => c.otherColour === other && c.productId < c.twinId);
          const image: number[] = [];
          const colour: number[] = [];
          for (const c of pairs) {
            const a = catalog.index.channelVectors(c.productId);
            const b = catalog.index.channelVectors(c.twinId);
            image.push(dotOf(a?.image, b?.image));
            colour.push(dotOf(a?.color, b?.color));
          }
          pairStats.push({ twins: other ? "other colour" : "same colour", pairs: pairs.length, image: quantiles(image), colour: quantiles(colour) });
        }
        for (const minImage of [0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8]) {
          for (const maxColour of [0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 1]) {
            const rule = { ...OTHER_COLOURS_RULE, minImage, maxColour };
            const rows = new Map(cases.map((c) => [c.productId, rankOtherColours(catalog, c.productId, n, {}, rule).map((h) => h.id)]));
            sweep.push({ ...rule, ...figures(cases, rows, categories) });
          }
        }
        // How many image-channel candidates the rule needs to read (each costs an exact re-score).
        for (const candidates of [8, 12, 24, 60]) {
          const rule = { ...OTHER_COLOURS_RULE, candidates };
          const rows = new Map(cases.map((c) => [c.productId, rankOtherColours(catalog, c.productId, n, {}, rule).map((h) => h.id)]));
          sweep.push({ ...rule, ...figures(cases, rows, categories) });
      }
      }
    } finally {
      await catalogs.close();
      await db.$disconnect();
    }
  }
} finally {
  await Promise.all([web?.stop(), worker?.stop()]);
  await app.cleanup();
  rmSync(work, { recursive: true, force: true });
}

const summary = {
  dataset: path.basename(values.dataset!),
  labelled,
  products,
  notIndexed,
  cases: cases.length,
  colours: n,
  rule: OTHER_COLOURS_RULE,
  otherColours: figures(cases, rowOf, categories),
  similarListBaseline: figures(cases, similarOf, categories),
  meanRequestMs: Math.round((timing.ms / Math.max(1, timing.requests)) * 100) / 100,
  ...(values.sweep ? { pairStats, sweep } : {}),
  ...(values.luminance ? { luminance } : {}),
};
if (values.json) console.log(JSON.stringify(summary));

else {
  const line = (name: string, f: Figures) =>
    `${name.padEnd(28)} ${f.precision.toFixed(3).padStart(9)}  ${f.precisionFirst.toFixed(3).padStart(10)}  ${f.recall.toFixed(3).padStart(6)}  ${f.sameColourTwinShown.toFixed(3).padStart(16)}  ${f.rowsShown.toFixed(3).padStart(10)}  ${String(f.cards).padStart(5)}  ${f.sameLeafShare.toFixed(3).padStart(9)}`;
  if (labelled)
    console.log(`${summary.dataset}: ${products} products; ${summary.otherColours.pairs} asked about an item listed in another colour, ${cases.length - summary.otherColours.pairs} about one listed twice in its colour; row of ${n}`);
  else
    console.log(`${summary.dataset}: ${products} products, no colour labels: precision cannot be measured; every product asked about (only "rows shown", "cards" and "same leaf" mean anything); row of ${n}`);
  console.log(`rule: image cosine ≥ ${OTHER_COLOURS_RULE.minImage}, colour similarity ≤ ${OTHER_COLOURS_RULE.maxColour}, same product type`);
  console.log(`${"".padEnd(28)} precision  precision@1  recall  same-colour shown  rows shown  cards  same leaf`);
  console.log(line("other colours row", summary.otherColours));
  console.log(line(`similar list, first ${n}`, summary.similarListBaseline));
  console.log(`mean /proxy/similar?colours=${n} request: ${summary.meanRequestMs} ms (uncached, sequential)`);
  if (values.sweep) {
    for (const p of pairStats) console.log(`${p.twins} twins (${p.pairs} pairs): image cosine min/p10/median/p90/max ${p.image.join(" / ")}; colour similarity ${p.colour.join(" / ")}`);
    console.log("sweep (in-process): minImage maxColour candidates  precision  precision@1  recall  same-colour shown  cards");
    for (const s of sweep)
      console.log(
        `  ${s.minImage.toFixed(2).padStart(8)} ${s.maxColour.toFixed(2).padStart(9)} ${String(s.candidates).padStart(10)}  ${s.precision.toFixed(3).padStart(9)}  ${s.precisionFirst.toFixed(3).padStart(11)}  ${s.recall.toFixed(3).padStart(6)}  ${s.sameColourTwinShown.toFixed(3).padStart(17)}  ${String(s.cards).padStart(5)}`,
      );
  }
  if (values.luminance) {
    console.log("luminance-only shape (measured, not shipped): minLuma maxColour  precision  precision@1  recall  same-colour shown  cards");
    for (const s of luminance)
      console.log(`  ${s.minLuma.toFixed(2).padStart(8)} ${s.maxColour.toFixed(2).padStart(9)}  ${s.precision.toFixed(3).padStart(9)}  ${s.precisionFirst.toFixed(3).padStart(11)}  ${s.recall.toFixed(3).padStart(6)}  ${s.sameColourTwinShown.toFixed(3).padStart(17)}  ${String(s.cards).padStart(5)}`);
  }
}
