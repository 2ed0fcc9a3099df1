/**
 * How often a photo search's card shows the variant that matched (issue 24).
 *   npx tsx scripts/measure-variants.ts [--dataset ../shared/datasets/luma-dev] [--limit N] [--json]
 *
 * Builds a catalog whose colour variants carry their own photos from luma-dev (scripts/lib/
 * variant-catalog.ts: each product's held-back photo becomes the media of the variant of its colour;
 * nothing is copied, the catalog is written to a temp dir beside links to the dataset), starts the
 * real web server and worker on a fresh SQLite database, imports it (catalog:import --wait) and
 * sends, per product, the variant's photo and five shopper-like perturbations of it (crop, rotate,
 * darken, jpeg, clutter: scripts/eval/photo-perturbations.ts) to /proxy/visual-search. For every
 * answer that contains the pictured product (a hit), the card is "right" when its variantId is
 * that variant, its url ends in `?variant=<id>` and its image is that variant's photo. Prints the
 * share of right cards among hits (and, for comparison, how often the product's default card —
 * what every card was before: first photo, no variant — would have linked the right colour).
 * Needs the production build (`npx remix vite:build`), Redis and the model (npm run setup).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { signAppProxyQuery } from "../app/demo/app-proxy-signature";
import { parseProductNode } from "../app/catalog/product-node";
import { migrateDatabase } from "./setup";
import { appEnv, ROOT, runCli, startWeb, startWorker, TEST_API_SECRET, type RunningProcess } from "./lib/app-processes";
import { buildVariantCatalog } from "./lib/variant-catalog";
import { PERTURBATIONS, perturbationSeed, perturbPhoto, type Perturbation } from "./eval/photo-perturbations";

const { values } = parseArgs({
  options: { dataset: { type: "string", default: path.resolve(ROOT, "../shared/datasets/luma-dev") }, limit: { type: "string" }, json: { type: "boolean", default: false } },
});
const shop = "variants-eval.myshopify.com";
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Card {
  id: string;
  image: string | null;
  url: string;
  variantId: string | null;
  price: string;
}

const work = mkdtempSync(path.join(os.tmpdir(), "lookalike-variants-"));
const { file, cases } = buildVariantCatalog(values.dataset!, path.join(work, "catalog"), values.limit ? Number(values.limit) : Infinity);
// The variant photo's index among each product's stored photos (what `?photo=n` names on a card).
const photoIndex = new Map<string, number>();
for (const line of readFileSync(file, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const record = parseProductNode(JSON.parse(line));
  const c = cases.find((x) => x.productId === record.id)!;
  photoIndex.set(record.id, record.imageUrls.indexOf(c.photo));
}

const databaseUrl = `file:${path.join(work, "eval.db")}`;
const app = await appEnv(databaseUrl, { WORKER_CONCURRENCY: "2", RATE_LIMIT_PHOTO_IP: "0", RATE_LIMIT_PHOTO_SHOP: "0" });
let web: RunningProcess | undefined;
let worker: RunningProcess | undefined;
const kinds: ("clean" | Perturbation)[] = ["clean", ...PERTURBATIONS];
const tally = new Map(kinds.map((k) => [k, { queries: 0, first: 0, hits: 0, right: 0, rightPhoto: 0, rightLink: 0, defaultLinkRight: 0 }]));
try {
  await migrateDatabase(databaseUrl);
  [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  log(`measure-variants: importing ${cases.length} products whose colour variants have their own photos …`);
  const imported = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, "--wait"], app.env, 1_800_000);
  if (imported.code !== 0) throw new Error(`catalog import failed:\n${imported.stderr}`);
  for (const [i, c] of cases.entries()) {
    const original = readFileSync(path.join(values.dataset!, c.photo));
    for (const kind of kinds) {
      const bytes = kind === "clean" ? original : await perturbPhoto(original, kind, perturbationSeed(c.productId, kind));
      const form = new FormData();
      form.append("image", new Blob([new Uint8Array(bytes)], { type: "image/jpeg" }), "photo.jpg");
      const url = `${app.baseUrl}/proxy/visual-search?${signAppProxyQuery(new URLSearchParams({ limit: "10" }), { shop, secret: TEST_API_SECRET })}`;
      const res = await fetch(url, { method: "POST", body: form });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      const { products } = (await res.json()) as { products: Card[] };
      const t = tally.get(kind)!;
      t.queries++;
      if (products[0]?.id === c.productId) t.first++;
      const card = products.find((p) => p.id === c.productId);
      if (!card) continue;
      t.hits++;
      const n = photoIndex.get(c.productId)!;
      const photoRight = card.image !== null && card.image.endsWith(`/images/${c.productId}${n > 0 ? `?photo=${n}` : ""}`);
      const linkRight = card.variantId === c.variantId && card.url.endsWith(`?variant=${c.variantId}`);
      if (photoRight) t.rightPhoto++;
      if (linkRight) t.rightLink++;
      if (photoRight && linkRight && card.price === c.price) t.right++;
      // Before: the product page without ?variant= opens the first variant.
      if (c.variants[0].id === c.variantId) t.defaultLinkRight++;
    }
    log(`measure-variants: ${i + 1}/${cases.length}`);
  }
} finally {
  await Promise.all([web?.stop(), worker?.stop()]);
  rmSync(work, { recursive: true, force: true });
}

const share = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : 0);
const rows = kinds.map((k) => {
  const t = tally.get(k)!;
  return {
    kind: k,
    queries: t.queries,
    productFirst: share(t.first, t.queries),
    hits: t.hits,
    variantRight: share(t.right, t.hits),
    photoRight: share(t.rightPhoto, t.hits),
    linkRight: share(t.rightLink, t.hits),
    defaultCardLinkRight: share(t.defaultLinkRight, t.hits),
  };
});
const all = [...tally.values()];
const perturbed = kinds.filter((k) => k !== "clean").map((k) => tally.get(k)!);
const summary = {
  products: cases.length,
  variantRightAll: share(
    all.reduce((s, t) => s + t.right, 0),
    all.reduce((s, t) => s + t.hits, 0),
  ),
  variantRightPerturbed: share(
    perturbed.reduce((s, t) => s + t.right, 0),
    perturbed.reduce((s, t) => s + t.hits, 0),
  ),
  byKind: rows,
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`products with colour-variant photos: ${cases.length}; queries: ${cases.length * kinds.length}`);
  console.log("kind      queries  product@1  hits  variant right (photo+link+price)  photo  link  default card's link");
  for (const r of rows) {
    console.log(
      `${r.kind.padEnd(9)} ${String(r.queries).padStart(7)}  ${r.productFirst.toFixed(3).padStart(9)}  ${String(r.hits).padStart(4)}  ${r.variantRight.toFixed(3).padStart(32)}  ${r.photoRight.toFixed(3)}  ${r.linkRight.toFixed(3)}  ${r.defaultCardLinkRight.toFixed(3).padStart(19)}`,
    );
  }
  console.log(`all hits: ${summary.variantRightAll.toFixed(3)} of cards show the matched variant; perturbed photos only: ${summary.variantRightPerturbed.toFixed(3)}`);
}
