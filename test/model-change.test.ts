/**
 * A model change re-embeds the catalog (first-impressions finding 1), on real processes over one
 * Redis and one database: the luma-dev catalog embedded by a worker without the image model (the
 * colour fallback: an empty MODELS_DIR), then a worker with the real model. Every product must be
 * re-embedded with MobileNetV2 — `catalog-import --wait` must not call the fallback's vectors
 * searchable — and photo search with the held-back query photos must find the products again.
 * Before the fix the second run's jobs had the ids of the fallback's finished jobs (the default
 * model was left out of the id) and were swallowed: the catalog stayed on the fallback.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { DEFAULT_IMAGE_MODEL_ID } from "../app/embedding/models/model-registry";
import { appEnv, ROOT, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const LUMA = path.resolve(ROOT, "../shared/datasets/luma-dev");
const MODELS = path.join(ROOT, "models");
const ready = existsSync(path.join(LUMA, "catalog.jsonl")) && existsSync(path.join(MODELS, "mobilenetv2-12-int8-gem-luma.onnx"));
interface Label { productId: string; queryImage: string }
const labels: Label[] = ready ? readFileSync(path.join(LUMA, "labels.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)) : [];
const numeric = (gid: string) => gid.split("/").pop()!;

describe.skipIf(!ready)("a model change on the same database and Redis", () => {
  const shop = "model-change.myshopify.com";
  let database: TestDatabase;
  let app: AppEnv;
  let db: Db;
  let emptyModels: string;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    // The 100 query photos all come from this one client address: the per-client photo limit (30 a
    // minute) is not what this test is about.
    app = await appEnv(database.url, { RECONCILE_INTERVAL_MS: "5000", RATE_LIMIT_PHOTO_IP: "0" });
    db = createPrismaClient(database.url);
    emptyModels = mkdtempSync(path.join(os.tmpdir(), "lookalike-no-models-"));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
    if (emptyModels) rmSync(emptyModels, { recursive: true, force: true });
  });

  const importAndWait = async (env: NodeJS.ProcessEnv) => {
    const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", path.join(LUMA, "catalog.jsonl"), "--wait", "--timeout", "600"], env, 700_000);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout.trim().split("\n").pop()!) as { products: number; embedded: number; failed: number };
  };
  const modelsOfRows = async () => (await db.product.groupBy({ by: ["modelId"], where: { shopDomain: shop }, _count: { _all: true } })).map((g) => [g.modelId, g._count._all]);

  it("embeds the catalog with the colour fallback when MODELS_DIR has no model", async () => {
    const env = { ...app.env, MODELS_DIR: emptyModels };
    const worker = await startWorker({ ...app, env });
    running.push(worker);
    expect(worker.output()).toMatch(/model color-fallback/);
    expect(await importAndWait(env)).toMatchObject({ products: 127, embedded: 127, failed: 0 });
    expect(await modelsOfRows()).toEqual([["color-fallback", 127]]);
    await worker.stop();
  }, 800_000);

  it("re-embeds every product with the real model, and only then calls it searchable", async () => {
    const [worker, web] = await Promise.all([startWorker(app), startWeb(app)]);
    running.push(worker, web);
    expect(worker.output()).toMatch(new RegExp(`model ${DEFAULT_IMAGE_MODEL_ID}`));
    expect(await importAndWait(app.env)).toMatchObject({ products: 127, embedded: 127, failed: 0 });
    expect(await modelsOfRows()).toEqual([[DEFAULT_IMAGE_MODEL_ID, 127]]);
  }, 800_000);

  it("finds each product again from its held-back query photo", async () => {
    // Every held-back photo (100 of 127 products have one): the product among the first 10.
    const sample = labels.filter((l) => l.queryImage);
    let inTop10 = 0;
    for (const label of sample) {
      const form = new FormData();
      form.append("image", new Blob([readFileSync(path.join(LUMA, label.queryImage))], { type: "image/jpeg" }), "photo.jpg");
      const res = await fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "10" }), { method: "POST", body: form });
      expect(res.status).toBe(200);
      const { products } = (await res.json()) as { products: { id: string }[] };
      if (products.some((p) => p.id === numeric(label.productId))) inTop10++;
    }
    expect(inTop10 / sample.length).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
