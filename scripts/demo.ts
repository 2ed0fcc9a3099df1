/**
 * npm run demo [-- --catalog <catalog.jsonl>] [--port 3000]
 * Sets up (idempotently), builds, and runs the whole product locally with no Shopify credentials:
 * web server + worker + a demo shop with a catalog. Prints the URLs to open.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { importCatalogFile } from "../app/catalog/catalog-import.server";
import { waitForCatalog } from "../app/catalog/wait-for-catalog.server";
import { readConfig } from "../app/config.server";
import { db } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { createBullConnection, createRedis } from "../app/redis.server";
import { expectedVectorModels } from "../app/catalog/expected-models.server";
import { TEXT_MODEL_IDS } from "../app/embedding/models/model-choice";
import type { VectorModels } from "../app/embedding/vector-versions";
import { createEmbedQueue } from "../app/queues/queues.server";
import { log, runMain, UserFacingError } from "../app/shared/cli.server";
import { generateCatalog } from "./lib/generated-catalog";
import { FakeStorefrontApi } from "../test/fake-shopify/fake-storefront-api";
import { createProgressLine } from "./lib/progress";
import { root } from "./prisma-schemas";
import { setup } from "./setup";

async function chooseCatalog(arg: string | undefined, dataDir: string): Promise<{ file: string; label: string }> {
  if (arg) {
    if (!existsSync(arg)) throw new UserFacingError(`catalog file not found: ${arg}`);
    return { file: path.resolve(arg), label: `your catalog ${arg}` };
  }
  const shared = path.resolve(root, "../shared/datasets/luma-dev/catalog.jsonl");
  if (existsSync(shared)) return { file: shared, label: "the luma-dev catalog from ../shared/datasets (127 products)" };
  const file = await generateCatalog(path.join(dataDir, "generated-catalog"));
  return { file, label: `a generated sample catalog (24 products) at ${path.relative(root, file)}` };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new UserFacingError(`the web server did not answer at ${url} within ${timeoutMs / 1000} s`);
}

export async function main(argv = process.argv.slice(2)) {
  const args = parseArgs({ args: argv, options: { catalog: { type: "string" }, port: { type: "string" }, "no-build": { type: "boolean" } } }).values;
  process.env.LOOKALIKE_DEMO = "1";
  if (args.port) process.env.PORT = args.port;
  const cfg = readConfig();

  const { model, modelReady } = await setup();
  if (!modelReady) log(`running with the colour-only fallback image model (${model}); set MODELS_MIRROR to use MobileNetV2`);
  if (!args["no-build"]) {
    log("building the web app...");
    const build = spawnSync(process.execPath, [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new UserFacingError("npm run build failed (see above)");
  }

  const catalog = await chooseCatalog(args.catalog, cfg.dataDir);
  // Markets and languages for the storefront's switch: Shopify's Storefront API is not reachable
  // without a shop, so a local fake of it answers for this catalog (US/USD, FR/EUR; EN, FR).
  let storefrontApi = process.env.DEMO_STOREFRONT_API_URL;
  let fakeStorefront: FakeStorefrontApi | undefined;
  if (!storefrontApi) {
    fakeStorefront = FakeStorefrontApi.fromCatalogFile(catalog.file);
    storefrontApi = await fakeStorefront.start();
  }

  const children: ChildProcess[] = [];
  // The demo's processes log for the person watching (one `[lookalike] …` line a message) unless
  // LOG_FORMAT says otherwise; they run NODE_ENV=production, which would default them to JSON.
  const env: NodeJS.ProcessEnv = { ...process.env, LOOKALIKE_DEMO: "1", PORT: String(cfg.port), NODE_ENV: "production", LOG_FORMAT: process.env.LOG_FORMAT ?? "pretty", DEMO_STOREFRONT_API_URL: storefrontApi };
  const stopAll = () => {
    children.forEach((c) => c.kill("SIGTERM"));
    void fakeStorefront?.stop();
  };
  process.once("SIGINT", () => (stopAll(), process.exit(0)));
  process.once("SIGTERM", () => (stopAll(), process.exit(0)));
  children.push(spawn(process.execPath, ["--import", "tsx", "jobs/worker.ts"], { cwd: root, env, stdio: "inherit" }));
  // The web process logs to stdout: its warnings and errors are shown, its info lines (listening…) are not — the demo prints its own URL.
  children.push(spawn(process.execPath, ["--import", "tsx", "server.ts"], { cwd: root, env: { ...env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" }, stdio: ["ignore", "inherit", "inherit"] }));
  for (const c of children) c.on("exit", (code) => code && code !== 0 && log(`a demo process exited with code ${code}`));

  await ensureDemoShop(db(), cfg.demoShop, cfg.scopes);
  log(`loading ${catalog.label} into ${cfg.demoShop}`);
  const connection = createBullConnection(cfg.redisUrl);
  const publisher = createRedis(cfg.redisUrl);
  const queue = createEmbedQueue(connection);
  const summary = await importCatalogFile({ db: db(), queue, publisher }, cfg.demoShop, catalog.file);
  log(`${summary.products} products (${summary.enqueued} to embed, ${summary.rejected.length} lines skipped)`);
  const progress = createProgressLine("embedding");
  // Searchable means embedded with the models the worker runs: after the model arrives, every
  // product the colour fallback embedded is re-embedded before the demo says it is ready. On the
  // fallback, any image model counts (the worker does not downgrade a catalog a model embedded).
  const models: VectorModels = modelReady ? expectedVectorModels(cfg) : { textModelId: TEXT_MODEL_IDS[cfg.textModel] };
  const counts = await waitForCatalog(db(), cfg.demoShop, { timeoutMs: 30 * 60_000, models, onProgress: (c) => progress.update(c.embedded + c.failed, c.products) });
  progress.end();
  await queue.close();
  connection.disconnect();
  publisher.disconnect();

  const base = `http://localhost:${cfg.port}`;
  await waitForHttp(`${base}/`, 30_000);
  const first = await db().product.findFirst({ where: { shopDomain: cfg.demoShop, embedState: "embedded" }, orderBy: { title: "asc" } });
  process.stdout.write(
    [
      "",
      `Lookalike demo is running — ${counts.embedded} of ${counts.products} products searchable${counts.failed ? `, ${counts.failed} failed` : ""}.`,
      `  Storefront:   ${base}/demo${first ? `   (a product page: ${base}/demo/products/${first.handle})` : ""}`,
      `  Markets:      the product page's "Country/region" switch (United States USD, France EUR) and /fr/products/… (French),`,
      `                from a local Storefront API fake at ${storefrontApi}`,
      `  Admin:        ${base}/demo/admin`,
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(main);
