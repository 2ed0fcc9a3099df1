/**
 * Bad input and damaged state against the running product (SQLite; the database-specific paths
 * are covered on both databases elsewhere): every bad upload is a clear 4xx and the process
 * stays up; a deleted or truncated index on disk is rebuilt from the database after a restart.
 */
import { readdirSync, truncateSync, rmSync, existsSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngBomb } from "./support/embedding";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const shop = "reliability.myshopify.com";
let database: TestDatabase;
let app: AppEnv;
let web: RunningProcess;
let worker: RunningProcess;
let firstId = "";

const upload = (body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "5" }), { method: "POST", body, headers });
const form = (bytes: Uint8Array, name = "photo.jpg", field = "image", type = "image/jpeg") => {
  const f = new FormData();
  f.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return f;
};
const similarIds = async () => {
  const res = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: firstId, limit: "10" }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { products: { id: string }[] }).products.map((p) => p.id);
};

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  // One photo search at a time per process: a burst must be refused, not queued (admission.server.ts).
  app = await appEnv(database.url, { SEARCH_CACHE: "0", PHOTO_SEARCH_MAX_IN_FLIGHT: "1" });
  const file = await generateCatalog(path.join(app.dataDir, "catalog"));
  firstId = "9100000001";
  [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, "--wait"], app.env);
  expect(res.code, res.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await Promise.all([web?.stop(), worker?.stop()]);
  await database?.drop();
  await app?.cleanup();
});

describe("bad photo uploads get a clear 4xx and change nothing", () => {
  it("refuses each kind of bad upload with its own code", async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#c00" } }).jpeg().toBuffer();
    const cases: [string, () => Promise<Response>, number, string][] = [
      ["0 bytes", () => upload(form(new Uint8Array())), 400, "empty"],
      ["truncated JPEG", () => upload(form(jpeg.subarray(0, jpeg.length / 2))), 400, "corrupt"],
      ["HTML renamed .jpg", () => upload(form(Buffer.from("<html><body>hi</body></html>"))), 415, "unsupported_format"],
      ["random binary renamed .jpg", () => upload(form(Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 97) % 256)))), 415, "unsupported_format"],
      ["decompression bomb (30,000² PNG)", () => upload(form(pngBomb(), "bomb.png", "image", "image/png")), 413, "too_many_pixels"],
      ["over the size limit", () => upload(form(Buffer.alloc(9 * 1024 * 1024, 1))), 413, "too_large"],
      ["wrong multipart field", () => upload(form(jpeg, "photo.jpg", "file")), 400, "missing_image"],
      ["missing boundary", () => upload(new Uint8Array(jpeg), { "Content-Type": "multipart/form-data" }), 400, "invalid_upload"],
      ["not multipart at all", () => upload(new Uint8Array(jpeg), { "Content-Type": "image/jpeg" }), 400, "invalid_upload"],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      const body = (await res.json()) as { error?: { code: string; message: string } };
      expect([what, res.status, body.error?.code]).toEqual([what, status, code]);
      expect(body.error!.message.length).toBeGreaterThan(10);
    }
    // The process is alive and still answers a good photo.
    const ok = await upload(form(jpeg));
    expect(ok.status).toBe(200);
    expect(web.child.exitCode).toBeNull();
  });
});

describe("a burst of photo searches beyond the process's limit", () => {
  it("is answered at once with 503 busy and Retry-After for the surplus; the others and later ones are served", async () => {
    // A 2,000 × 2,000 photo takes tens of ms to decode and prepare: the burst overlaps it.
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#888", noise: { type: "gaussian", mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => upload(form(big), { "X-Forwarded-For": `203.0.113.${i + 10}` })),
    );
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as { error?: { code: string }; products?: unknown[] } })));
    const busy = bodies.filter((b) => b.status === 503);
    expect(bodies.every((b) => b.status === 200 || b.status === 503)).toBe(true);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.every((b) => b.body.error?.code === "busy" && b.retryAfter === "1")).toBe(true);
    expect(bodies.some((b) => b.status === 200 && Array.isArray(b.body.products))).toBe(true);
    // Nothing stays taken: photo searches one after the other are all served.
    for (let i = 0; i < 3; i++) expect((await upload(form(big), { "X-Forwarded-For": `203.0.113.${i + 30}` })).status).toBe(200);
    expect(web.child.exitCode).toBeNull();
  }, 60_000);
});

describe("damaged index files", () => {
  async function restartWeb() {
    await web.stop();
    web = await startWeb(app);
  }
  const indexDir = () => path.join(app.dataDir, "indexes", shop);

  /**
   * The answer once the shop's neighbour lists are made (in the background, right after it opens):
   * until then an answer comes from a search of the graph, which on this 24-product shop can miss a
   * product of negative similarity in the tail (HNSW is approximate; the list is exact).
   */
  async function settledIds(): Promise<string[]> {
    let last = await similarIds();
    for (let same = 0; same < 3; ) {
      await new Promise((r) => setTimeout(r, 500));
      const next = await similarIds();
      same = next.join() === last.join() ? same + 1 : 0;
      last = next;
    }
    return last;
  }

  it("rebuilds from the database when the index files are deleted or truncated, with the same answers", async () => {
    const before = await settledIds();
    // The web process saves its index a few seconds after changes settle.
    const deadline = Date.now() + 20_000;
    while (!(existsSync(indexDir()) && readdirSync(indexDir()).some((f) => f.endsWith(".hnsw"))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(readdirSync(indexDir()).some((f) => f.endsWith(".hnsw"))).toBe(true);

    for (const f of readdirSync(indexDir())) if (f.endsWith(".hnsw")) truncateSync(path.join(indexDir(), f), 100);
    await restartWeb();
    expect(await settledIds()).toEqual(before);

    rmSync(indexDir(), { recursive: true, force: true });
    await restartWeb();
    expect(await settledIds()).toEqual(before);
  }, 120_000);
});
