/**
 * Quality evaluation through the product's own processes and API.
 *   npx tsx scripts/evaluate.ts --catalog-dir <dir> [--perturb] [--words] [--json] [--shop <domain>] [--misses <file>]
 *
 * Starts the real web server and worker (scripts/lib/app-processes.ts) on a fresh temp SQLite
 * database, imports <dir>/catalog.jsonl with the catalog:import CLI (--wait), then asks the running
 * app, with requests signed as Shopify's app proxy signs them:
 *   - /proxy/similar for every labelled product,
 *   - /proxy/visual-search for every query photo (and, with --perturb, for deterministic perturbed
 *     versions of it: crop, rotate, darken, jpeg, clutter — made with sharp in memory),
 * and computes the metrics defined in ../shared/datasets/README.md (scripts/eval/retrieval-metrics.ts).
 * Progress lines go to stderr; the result is printed as JSON on stdout (pretty unless --json).
 * Photo queries are sent as a client without a box (the server's automatic box applies; run with
 * PHOTO_AUTO_BOX=0 for the figures without it). The result says how often a sub-region was searched.
 * --words: "this, but in <colour>": for each query photo and each colour that another product of
 * the same leaf category has and the pictured product has not (labels' `colors`, `queryColor`),
 * the photo with q=<colour>; a hit when the first result is such a product (recall@1), compared
 * with the same photo without words.
 * --misses writes one JSON line per photo query whose product was not ranked first (query, kind,
 * what came first and at which rank the product came), for reading the failures.
 * Needs the production build (`npx remix vite:build`), Redis and the model (npm run setup).
 */
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PERTURBATIONS, perturbationSeed, perturbPhoto, type Perturbation } from "./eval/photo-perturbations";
import {
  labelIndex,
  scorePhotoQuery,
  scoreSimilarQuery,
  summarisePhoto,
  summariseSimilar,
  type PhotoQueryResult,
} from "./eval/retrieval-metrics";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { ensureImageModel } from "../app/embedding/models/model-files.server";
import { migrateDatabase } from "./setup";
import { appEnv, runCli, startWeb, startWorker, TEST_API_SECRET, type RunningProcess } from "./lib/app-processes";
import { createProgressLine } from "./lib/progress";

const { values } = parseArgs({
  options: {
    "catalog-dir": { type: "string" },
    perturb: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    shop: { type: "string", default: "lookalike-eval.myshopify.com" },
    misses: { type: "string" },
    words: { type: "boolean", default: false },
  },
});
if (!values["catalog-dir"]) {
  console.error("usage: npx tsx scripts/evaluate.ts --catalog-dir <dir> [--perturb] [--words] [--json]");
  process.exit(2);
}
const dir = path.resolve(values["catalog-dir"]);
const shop = values.shop!;
for (const f of ["catalog.jsonl", "labels.jsonl"]) {
  if (!existsSync(path.join(dir, f))) {
    console.error(`missing ${path.join(dir, f)}`);
    process.exit(2);
  }
}

interface LabelLine { productId: string; category: string; topCategory: string; queryImage?: string | null; colors?: string[] | null; queryColor?: string | null }
const numeric = (gid: string) => gid.split("/").pop()!;
const labels = readFileSync(path.join(dir, "labels.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelLine)
  .map((l) => ({ ...l, productId: numeric(l.productId) }));
const idx = labelIndex(labels);
const log = (s: string) => process.stderr.write(`${s}\n`);

function signedUrl(baseUrl: string, route: string, params: Record<string, string>): string {
  return `${baseUrl}/proxy/${route}?${signAppProxyQuery(new URLSearchParams(params), { shop, secret: TEST_API_SECRET })}`;
}

interface PhotoAnswer {
  products: { id: string }[];
  box?: { x: number; y: number; w: number; h: number; guessed: boolean };
}

async function getJson(res: Response): Promise<PhotoAnswer> {
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as PhotoAnswer;
}

function photoForm(bytes: Buffer): FormData {
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(bytes)], { type: "image/jpeg" }), "photo.jpg");
  return form;
}

// Quality figures of the colour-only fallback would say nothing about the product: refuse, in one line.
const model = await ensureImageModel({ modelsDir: process.env.MODELS_DIR ?? path.resolve("models"), mirrorDir: process.env.MODELS_MIRROR, allowDownload: process.env.MODELS_DOWNLOAD !== "0" });
if (model.status !== "ready") {
  console.error(`evaluate: ${model.message}`);
  process.exit(2);
}

const dbDir = mkdtempSync(path.join(os.tmpdir(), "lookalike-eval-"));
const databaseUrl = `file:${path.join(dbDir, "eval.db")}`;
let web: RunningProcess | undefined;
let worker: RunningProcess | undefined;
// One client sends every query: the per-client limits of a storefront would refuse most of them (429).
const app = await appEnv(databaseUrl, {
  WORKER_CONCURRENCY: "2",
  RATE_LIMIT_PHOTO_IP: process.env.RATE_LIMIT_PHOTO_IP ?? "0",
  RATE_LIMIT_PHOTO_SHOP: process.env.RATE_LIMIT_PHOTO_SHOP ?? "0",
  RATE_LIMIT_SIMILAR_IP: process.env.RATE_LIMIT_SIMILAR_IP ?? "0",
  RATE_LIMIT_SIMILAR_SHOP: process.env.RATE_LIMIT_SIMILAR_SHOP ?? "0",
});
const started = Date.now();
try {
  log("evaluate: migrating a fresh SQLite database and starting the web server and worker …");
  await migrateDatabase(databaseUrl);
  [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);

  log(`evaluate: importing ${path.join(dir, "catalog.jsonl")} (catalog:import --wait) …`);
  const imported = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", path.join(dir, "catalog.jsonl"), "--wait"], app.env, 1_800_000);
  if (imported.code !== 0) throw new Error(`catalog import failed:\n${imported.stderr}`);
  const importSummary = JSON.parse(imported.stdout.trim().split("\n").pop()!) as Record<string, number>;
  log(`evaluate: imported ${JSON.stringify(importSummary)}`);

  // Similar products.
  const similarProgress = createProgressLine("evaluate: similar  ");
  const similar = [];
  for (const [i, l] of labels.entries()) {
    const { products } = await getJson(await fetch(signedUrl(app.baseUrl, "similar", { product_id: l.productId, limit: "10" })));
    similar.push(scoreSimilarQuery(idx, l.productId, products.map((p) => p.id)));
    similarProgress.update(i + 1, labels.length);
  }
  similarProgress.end();

  // Photo search: 11 results, so R = 10 others remain after removing the pictured product.
  const queries = labels.filter((l) => !!l.queryImage);
  const kinds: ("clean" | Perturbation)[] = values.perturb ? ["clean", ...PERTURBATIONS] : ["clean"];
  const byKind = new Map<string, PhotoQueryResult[]>(kinds.map((k) => [k, []]));
  const latencies: number[] = [];
  const latencyByKind = new Map<string, number[]>(kinds.map((k) => [k, []]));
  const guessedByKind = new Map<string, number>();
  const cleanFirst = new Map<string, string | undefined>();
  const misses: string[] = [];
  const photoProgress = createProgressLine("evaluate: photos   ");
  let done = 0;
  for (const l of queries) {
    const original = readFileSync(path.join(dir, l.queryImage!));
    for (const kind of kinds) {
      const bytes = kind === "clean" ? original : await perturbPhoto(original, kind, perturbationSeed(l.productId, kind));
      const t0 = performance.now();
      // As a client without a box: the server's automatic box applies.
      const { products, box } = await getJson(await fetch(signedUrl(app.baseUrl, "visual-search", { limit: "11" }), { method: "POST", body: photoForm(bytes) }));
      const ms = performance.now() - t0;
      latencies.push(ms);
      latencyByKind.get(kind)!.push(ms);
      if (box?.guessed && (box.w < 1 || box.h < 1)) guessedByKind.set(kind, (guessedByKind.get(kind) ?? 0) + 1);
      const ranked = products.map((p) => p.id);
      if (kind === "clean") cleanFirst.set(l.productId, ranked[0]);
      byKind.get(kind)!.push(scorePhotoQuery(idx, l.productId, ranked));
      if (ranked[0] !== l.productId) {
        const label = (id: string | undefined) => (id ? `${id} ${idx.byId.get(id)?.category ?? "?"}` : null);
        const rank = ranked.indexOf(l.productId);
        misses.push(JSON.stringify({ query: l.queryImage, kind, product: label(l.productId), first: label(ranked[0]), rank: rank < 0 ? null : rank + 1 }));
      }
      photoProgress.update(++done, queries.length * kinds.length, kind);
    }
  }
  photoProgress.end();
  if (values.misses) writeFileSync(values.misses, misses.map((m) => `${m}\n`).join(""));

  // "This, but in <colour>" (--words).
  let words: Record<string, number> | undefined;
  if (values.words) {
    const lower = (xs: (string | null | undefined)[]) => new Set(xs.filter((x): x is string => !!x).map((x) => x.toLowerCase()));
    const cases: { label: LabelLine; word: string; targets: Set<string> }[] = [];
    for (const a of queries) {
      const own = lower([...(a.colors ?? []), a.queryColor]);
      const byWord = new Map<string, Set<string>>();
      for (const b of labels) {
        if (b.productId === a.productId || b.category !== a.category) continue;
        for (const c of lower(b.colors ?? [])) if (!own.has(c)) byWord.set(c, (byWord.get(c) ?? new Set()).add(b.productId));
      }
      for (const [word, targets] of byWord) cases.push({ label: a, word, targets });
    }
    const wordsProgress = createProgressLine("evaluate: words    ");
    let withWord = 0;
    let withoutWord = 0;
    const wordLatencies: number[] = [];
    for (const [i, c] of cases.entries()) {
      const bytes = readFileSync(path.join(dir, c.label.queryImage!));
      const t0 = performance.now();
      const { products } = await getJson(await fetch(signedUrl(app.baseUrl, "visual-search", { limit: "11", q: c.word }), { method: "POST", body: photoForm(bytes) }));
      wordLatencies.push(performance.now() - t0);
      if (products[0] && c.targets.has(products[0].id)) withWord++;
      const first = cleanFirst.get(c.label.productId);
      if (first && c.targets.has(first)) withoutWord++;
      wordsProgress.update(i + 1, cases.length, c.word);
    }
    wordsProgress.end();
    const n = cases.length;
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    wordLatencies.sort((a, b) => a - b);
    words = {
      cases: n,
      photos: new Set(cases.map((c) => c.label.productId)).size,
      recallAt1WithWord: n ? round3(withWord / n) : 0,
      recallAt1PhotoOnly: n ? round3(withoutWord / n) : 0,
      requestMsP50: Math.round(wordLatencies[Math.floor(wordLatencies.length / 2)] ?? 0),
    };
  }

  const perturbed = kinds.filter((k) => k !== "clean").flatMap((k) => byKind.get(k)!);
  const sorted = latencies.slice().sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  const p50 = (xs: number[]) => Math.round(xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0);
  const result = {
    catalog: dir,
    products: labels.length,
    import: importSummary,
    photo: summarisePhoto(byKind.get("clean")!),
    similar: summariseSimilar(similar),
    ...(values.perturb
      ? {
          perturbed: {
            all: summarisePhoto(perturbed),
            ...Object.fromEntries(PERTURBATIONS.map((k) => [k, summarisePhoto(byKind.get(k)!)])),
          },
        }
      : {}),
    photoRequestMs: { p50: pct(0.5), p95: pct(0.95), p50ByKind: Object.fromEntries(kinds.map((k) => [k, p50(latencyByKind.get(k)!)])) },
    autoBox: { enabled: process.env.PHOTO_AUTO_BOX !== "0", subRegionSearched: Object.fromEntries(kinds.map((k) => [k, guessedByKind.get(k) ?? 0])) },
    ...(words ? { words } : {}),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
} catch (err) {
  log(`evaluate: ${(err as Error).message}`);
  if (web) log(`--- web output (tail) ---\n${web.output().slice(-2_000)}`);
  if (worker) log(`--- worker output (tail) ---\n${worker.output().slice(-2_000)}`);
  process.exitCode = 1;
} finally {
  await Promise.all([web?.stop(), worker?.stop()]);
  await app.cleanup();
  rmSync(dbDir, { recursive: true, force: true });
}
