/**
 * In-process harness for the automatic box (issue 23, decision 0012): the photo route's own ranking
 * code (photoFirstPass, rerankHeadByLocal, finishPhotoRanking) on a catalog imported once by the
 * real worker, for reading why a rule wins or loses. It reproduces `evaluate.ts --perturb` to the
 * query (docs/quality.md, issue 23).
 *   npx tsx scripts/photo-box-harness.ts --catalog-dir <dir> --db <file> [--kinds clean,clutter] [--dump <file.jsonl>]
 * The first run imports the catalog into <file> (SQLite) with the worker; later runs reuse it.
 * Prints recall@1 / recall@10 per kind for a few choice rules ("zoom gX": the strongest of the
 * whole photo and the 5 crops, a crop needing X more than the whole photo on a uniform border,
 * searched with its zoom view; "noZoomCrop gX": a chosen crop searched alone). --dump writes one
 * line per photo with each view's top-1 score, its full rankings (with and without the zoom view)
 * and the whole photo's border and trim, so other rules can be scored offline.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PERTURBATIONS, perturbationSeed, perturbPhoto, type Perturbation } from "./eval/photo-perturbations";
import { labelIndex, scorePhotoQuery, summarisePhoto, type PhotoQueryResult } from "./eval/retrieval-metrics";
import { migrateDatabase } from "./setup";
import { appEnv, runCli, startWorker } from "./lib/app-processes";
import { createPrismaClient } from "../app/db.server";
import { LiveCatalogs } from "../app/live-index/live-catalogs.server";
import { createImageEmbedder } from "../app/embedding/image/image-embedder.server";
import { decodePhoto, prepareRegion, type PreparedRegion } from "../app/embedding/image/image-preprocess.server";
import { cornerAndCentreCrops, WHOLE_PHOTO } from "../app/embedding/image/photo-region";
import { queryViews } from "../app/embedding/image/query-views";
import { l2normalize } from "../app/embedding/vector-codec";
import { localFeatureSource } from "../app/ranking/local-feature-source.server";
import { DEFAULT_PHOTO_SEARCH, finishPhotoRanking, photoFirstPass, rerankHeadByLocal } from "../app/ranking/photo.server";
import { withSettings } from "../app/shops/settings-filter";
import { parseFilter } from "../app/storefront/search-params.server";

const { values } = parseArgs({
  options: {
    "catalog-dir": { type: "string" },
    db: { type: "string" },
    kinds: { type: "string", default: ["clean", ...PERTURBATIONS].join(",") },
    shop: { type: "string", default: "lookalike-eval.myshopify.com" },
    dump: { type: "string" },
  },
});
const dir = path.resolve(values["catalog-dir"]!);
const dbFile = path.resolve(values.db!);
const shop = values.shop!;
const databaseUrl = `file:${dbFile}`;
const log = (s: string) => process.stderr.write(`${s}\n`);

if (!existsSync(dbFile)) {
  const app = await appEnv(databaseUrl, { WORKER_CONCURRENCY: "2" });
  await migrateDatabase(databaseUrl);
  const worker = await startWorker(app);
  try {
    const r = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", path.join(dir, "catalog.jsonl"), "--wait"], app.env, 1_800_000);
    if (r.code !== 0) throw new Error(r.stderr);
    log(r.stdout.trim().split("\n").pop()!);
  } finally {
    await worker.stop();
    await app.cleanup();
  }
}

interface LabelLine { productId: string; category: string; topCategory: string; queryImage?: string | null }
const labels = readFileSync(path.join(dir, "labels.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelLine)
  .map((l) => ({ ...l, productId: l.productId.split("/").pop()! }));
const idx = labelIndex(labels);
const db = createPrismaClient(databaseUrl);
const dataDir = mkdtempSync(path.join(os.tmpdir(), "lookalike-harness-"));
const embedder = await createImageEmbedder({ modelsDir: path.resolve("models"), intraOpThreads: 1 });
const catalogs = new LiveCatalogs({ db, dataDir, imageModelId: embedder.modelId, imageDim: embedder.dim });
const catalog = await catalogs.get(shop);
const filter = withSettings(parseFilter(new URLSearchParams()), catalog.settings)!;
const local = localFeatureSource(db, shop);
const config = DEFAULT_PHOTO_SEARCH;
const spec = embedder.spec!;
const LIMIT = 11;

function meanOf(vs: Float32Array[]): Float32Array {
  if (vs.length === 1) return vs[0];
  const out = new Float32Array(vs[0].length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] += v[i];
  return l2normalize(out);
}

interface View { region: PreparedRegion; vector: Float32Array; local?: Int8Array; zoom: Float32Array; top1: string | undefined; score: number }

/** The full photo ranking (first pass on `vector`, local re-rank with `loc`, feedback). */
async function fullRanking(vector: Float32Array, color: Float32Array, loc: Int8Array | undefined): Promise<string[]> {
  let first = photoFirstPass(catalog, { image: vector, color }, LIMIT, filter, config);
  if (loc) first = await rerankHeadByLocal(first, loc, local, config.local, config.feedback.keepHead || config.local.head);
  return finishPhotoRanking(catalog.index, first, LIMIT, filter, config).map((h) => h.id);
}

const quick = { ...config, feedback: { ...config.feedback, hits: 0 }, local: { head: 0, weight: 0 } };
const GATES = [0, 0.01, 0.02, 0.03, 0.05];
const strategies = [...GATES.map((g) => `zoom g${g}`), ...GATES.map((g) => `noZoomCrop g${g}`), "ownTop1 g0", "wholeOnly"];
const results = new Map<string, PhotoQueryResult[]>();
const add = (key: string, r: PhotoQueryResult) => (results.get(key) ?? results.set(key, []).get(key)!).push(r);
const gatedCount = new Map<string, number>();
const dump: string[] = [];

const kinds = values.kinds!.split(",") as ("clean" | Perturbation)[];
const queries = labels.filter((l) => !!l.queryImage);
const started = Date.now();
for (const [qi, l] of queries.entries()) {
  const original = readFileSync(path.join(dir, l.queryImage!));
  for (const kind of kinds) {
    const bytes = kind === "clean" ? original : await perturbPhoto(original, kind, perturbationSeed(l.productId, kind));
    const photo = await decodePhoto(bytes, { model: spec });
    const regions = [await prepareRegion(photo, spec, WHOLE_PHOTO), ...(await Promise.all(cornerAndCentreCrops().map((c) => prepareRegion(photo, spec, c))))];
    const zoomImages = regions.map((r) => ({ tensor: queryViews(r.image.tensor, 224, config.views)[1], color: r.image.color }));
    const embedded = await embedder.embedWithLocal([...regions.map((r) => r.image), ...zoomImages]);
    const views: View[] = regions.map((region, i) => {
      const vector = embedded[i].vector;
      const first = photoFirstPass(catalog, { image: vector, color: region.image.color }, 1, filter, quick)[0];
      return { region, vector, local: embedded[i].local, zoom: embedded[regions.length + i].vector, top1: first?.id, score: first?.score ?? -Infinity };
    });
    const pick = (scores: number[], g: number) => {
      let best = 0;
      for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
      return best === 0 || scores[best] - scores[0] < g ? 0 : best;
    };
    const uniform = views[0].region.uniformBorder;
    if (uniform) gatedCount.set(kind, (gatedCount.get(kind) ?? 0) + 1);
    const scores = views.map((v) => v.score);
    const full = (v: View, zoom: boolean) => fullRanking(zoom ? meanOf([v.vector, v.zoom]) : v.vector, v.region.image.color, v.local);
    const rank: Record<string, () => Promise<string[]>> = { wholeOnly: () => full(views[0], true), "ownTop1 g0": async () => [views[pick(scores, 0)].top1!] };
    for (const g of GATES) {
      const i = pick(scores, uniform ? g : 0);
      rank[`zoom g${g}`] = () => full(views[i], true);
      rank[`noZoomCrop g${g}`] = () => full(views[i], i === 0);
    }
    const got: Record<string, boolean> = {};
    for (const s of strategies) {
      const ranked = await rank[s]();
      got[s] = ranked[0] === l.productId;
      add(`${s}|${kind}`, scorePhotoQuery(idx, l.productId, ranked));
    }
    const rankOf = (ids: string[]) => ids.indexOf(l.productId);
    const perView = [];
    for (const v of views) {
      const z = await full(v, true);
      const nz = await full(v, false);
      const blend = await fullRanking(meanOf([v.vector, v.zoom, views[0].vector, views[0].zoom]), v.region.image.color, v.local);
      perView.push({ top1: v.top1, score: Math.round(v.score * 10000) / 10000, rankZoom: rankOf(z), rankNoZoom: rankOf(nz), firstZoom: z[0], firstNoZoom: nz[0], zoom: z, noZoom: nz, blend });
    }
    dump.push(JSON.stringify({ q: l.productId, kind, uniform, trim: views[0].region.trim, leaf: idx.byId.get(l.productId)?.category, views: perView }));
  }
  log(`${qi + 1}/${queries.length} ${Math.round((Date.now() - started) / 1000)} s`);
}
const out: Record<string, unknown> = {};
for (const s of strategies) {
  out[s] = Object.fromEntries(kinds.map((k) => {
    const r = summarisePhoto(results.get(`${s}|${k}`)!);
    return [k, `${r.recallAt1} / ${r.recallAt10}`];
  }));
}
out.uniformBorder = Object.fromEntries(gatedCount);
if (values.dump) writeFileSync(values.dump, dump.join("\n") + "\n");
console.log(JSON.stringify(out, null, 1));
await catalogs.close();
await embedder.close();
await db.$disconnect();
rmSync(dataDir, { recursive: true, force: true });
