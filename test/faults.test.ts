/**
 * Faults of our own processes, on real processes (SQLite; the database-specific faults are in
 * test/faults-services.test.ts): the web process restarted (SIGTERM, then SIGKILL) under storefront
 * load, in-flight requests finished on SIGTERM, no secrets or shopper photos in any process' output,
 * and the start-up preflight (Redis or database missing: exit 2 with one sentence).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, freePort, runCli, startWeb, startWorker, TEST_API_SECRET, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { FakeAdminApi } from "./fake-shopify/fake-admin-api";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { similarLoad } from "./support/similar-load";
import { sendWebhook } from "./support/webhook-client";

const shop = "faults.myshopify.com";
// Recognisable secrets: the offline access token the worker uses against the Admin API; the API
// secret (app proxy signatures and webhook HMACs are made with it).
const TOKEN = `shpat_${randomBytes(16).toString("hex")}`;

let database: TestDatabase;
let db: Db;
let app: AppEnv;
let fake: FakeAdminApi;
let web: RunningProcess;
let worker: RunningProcess;
/** Every process started, for the log assertions. */
const processes: RunningProcess[] = [];
let productIds: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (p: RunningProcess) =>
  new Promise<number | null>((resolve) => (p.child.exitCode !== null || p.child.signalCode !== null ? resolve(p.child.exitCode) : p.child.once("exit", (code) => resolve(code))));
async function newWeb(): Promise<RunningProcess> {
  const p = await startWeb(app);
  processes.push(p);
  return p;
}
const similar = async (productId: string) => {
  const res = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productId, limit: "50" }));
  return { status: res.status, ids: res.status === 200 ? ((await res.json()) as { products: { id: string }[] }).products.map((p) => p.id) : [] };
};
/** A photo no other test sends: random noise, so any chunk of its bytes is unique. */
async function noisePhoto(): Promise<Buffer> {
  const raw = randomBytes(320 * 240 * 3);
  return sharp(raw, { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}
const photoForm = (bytes: Buffer) => {
  const f = new FormData();
  f.append("image", new Blob([new Uint8Array(bytes)], { type: "image/jpeg" }), "shopper.jpg");
  return f;
};

describe("web, worker and a synced shop", () => {
  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    db = createPrismaClient(database.url);
    // The production log format, every level an operator may turn on: the secrets test reads it.
    app = await appEnv(database.url, { LOG_FORMAT: "json", LOG_LEVEL: "debug" });
    const catalog = await generateCatalog(path.join(app.dataDir, "..", path.basename(app.dataDir) + "-catalog"));
    fake = new FakeAdminApi({ catalogFile: catalog, accessToken: TOKEN, bulkDurationMs: 200 });
    await fake.start();
    Object.assign(app.env, fake.appEnv());
    [web, worker] = await Promise.all([newWeb(), startWorker(app)]);
    processes.push(worker);
    await ensureDemoShop(db, shop, ["read_products"]);
    await db.session.update({ where: { id: `offline_${shop}` }, data: { accessToken: TOKEN } });
    const res = await runCli(["scripts/catalog-sync.ts", "--shop", shop, "--wait"], app.env);
    expect(res.code, res.stderr + worker.output()).toBe(0);
    productIds = (await db.product.findMany({ where: { shopDomain: shop }, select: { id: true }, orderBy: { id: "asc" } })).map((p) => p.id);
    expect(productIds).toHaveLength(24);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([web?.stop(), worker?.stop()]);
    await fake?.stop();
    await db?.$disconnect();
    await database?.drop();
    await app?.cleanup();
  });

  it("the web process restarted under load (SIGTERM, then SIGKILL): no 5xx, and afterwards every product is searchable, no duplicates, no deleted product", async () => {
    const deleted = productIds[5];
    let live = productIds;
    const load = similarLoad({ baseUrl: () => app.baseUrl, shop, productIds: () => live, clients: 6 });
    await sleep(1_500);
    // A product deleted mid-load: gone from answers once the delete is seen, and after every restart.
    live = productIds.filter((id) => id !== deleted);
    await sleep(200); // requests for it already sent are answered before it goes
    const del = await sendWebhook(app.baseUrl, { topic: "products/delete", shop, payload: { id: Number(deleted) } });
    expect(del.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while ((await similar(productIds[0])).ids.includes(deleted) && Date.now() < deadline) await sleep(100);
    const deleteSeenAt = Date.now();
    await sleep(1_000);

    // SIGTERM: the old process finishes what it has and exits 0; a new one takes the port.
    const termAt = Date.now();
    const old = web;
    await old.stop("SIGTERM");
    expect(old.child.exitCode).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(4_000); // keep-alive clients do not hold it open
    expect(old.output()).toMatch(/web stopping on SIGTERM/);
    web = await newWeb();
    await sleep(2_000);
    const afterTerm = load.answers.filter((a) => a.at > Date.now() - 1_500).length;
    expect(afterTerm).toBeGreaterThan(10);

    // A graceful stop drops no request: the only failures are connections refused while no
    // process listened — no connection reset by the stopping process.
    const termCounts = { ...load.counts };
    const notOk = () => JSON.stringify({ counts: load.counts, bodies: [...new Set(load.answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body}`))] });
    expect(Object.keys(termCounts).sort(), notOk()).toEqual(["200", "ECONNREFUSED"]);

    // SIGKILL: nothing graceful; clients see refused connections until the next process listens.
    web.child.kill("SIGKILL");
    await exited(web);
    web = await newWeb();
    await sleep(2_000);
    const { answers, counts } = await load.stop();

    // No answer was a server error; the only failures are connections the dead port refused
    // (or, for SIGKILL, connections cut by the kill).
    const statuses = Object.keys(counts).filter((k) => /^\d+$/.test(k));
    expect(statuses, notOk()).toEqual(["200"]);
    expect(counts.ECONNREFUSED ?? 0, JSON.stringify(counts)).toBeGreaterThan(0);
    const other = Object.entries(counts).filter(([k]) => !["200", "ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET"].includes(k));
    expect(other, JSON.stringify(counts)).toEqual([]);
    expect(answers.filter((a) => a.at > Date.now() - 1_500).length).toBeGreaterThan(10);
    for (const a of answers) expect(new Set(a.ids).size, `duplicates for ${a.productId}`).toBe(a.ids.length);
    for (const a of answers.filter((x) => x.at > deleteSeenAt)) expect(a.ids).not.toContain(deleted);

    // After the restarts: every product searchable, each exactly once, the deleted one nowhere.
    const seen = new Set<string>();
    for (const id of live) {
      const r = await similar(id);
      expect(r.status).toBe(200);
      expect(new Set(r.ids).size).toBe(r.ids.length);
      expect(r.ids).not.toContain(deleted);
      expect(r.ids).toHaveLength(live.length - 1);
      r.ids.forEach((x) => seen.add(x));
    }
    expect([...seen].sort()).toEqual([...live].sort());
    expect((await similar(deleted)).status).toBe(404);
    console.log(`[faults] web restarts under load: after SIGTERM ${JSON.stringify(termCounts)}, in all ${JSON.stringify(counts)}`);
  }, 120_000);

  it("on SIGTERM, photo searches already in flight are answered before the process exits", async () => {
    const photo = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: "#2e5c9a" } }).jpeg({ quality: 95 }).toBuffer();
    // Six shoppers (their addresses as the app proxy forwards them): uploads are bounded per client.
    const sends = Array.from({ length: 6 }, (_, i) =>
      fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "5" }), { method: "POST", body: photoForm(photo), headers: { "X-Forwarded-For": `203.0.113.${20 + i}` } }).then(async (r) => ({ status: r.status, n: ((await r.json()) as { products?: unknown[] }).products?.length })),
    );
    await sleep(150);
    const old = web;
    old.child.kill("SIGTERM");
    const results = await Promise.all(sends);
    expect(await exited(old)).toBe(0);
    expect(old.output()).toMatch(/web stopping on SIGTERM \(finishing [1-9]\d* request\(s\) in flight\)/);
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ status: 200, n: 5 })));
    web = await newWeb();
  }, 60_000);

  it("writes no secret and no byte of a shopper's photo to its output, and never puts the photo on disk", async () => {
    const photo = await noisePhoto();
    const t0 = Date.now();
    const res = await fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "5" }), { method: "POST", body: photoForm(photo) });
    expect(res.status).toBe(200);
    // Work that logs: a webhook, a sync run (worker uses the token), a bad signature.
    const upd = await sendWebhook(app.baseUrl, { topic: "products/delete", shop, payload: { id: Number(productIds[7]) } });
    expect(upd.status).toBe(200);
    expect((await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productIds[0] }, { secret: "wrong-secret" }))).status).toBe(401);
    const sync = await runCli(["scripts/catalog-sync.ts", "--shop", shop, "--wait"], app.env);
    expect(sync.code, sync.stderr).toBe(0);
    await sleep(500);

    const output = processes.map((p) => p.output()).join("\n") + sync.stdout + sync.stderr;
    expect(output.length).toBeGreaterThan(200); // the processes did write things
    // The web and worker processes write JSON lines only (LOG_FORMAT=json), each with its level,
    // time and role; no line of another shape (a stray console print, a raw stack) gets through.
    const lines = processes.flatMap((p) => p.output().split("\n")).filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(5);
    const notJson = lines.filter((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return typeof o.level !== "number" || typeof o.time !== "number" || !["web", "worker"].includes(o.role as string);
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    // Parsed values too (a secret escaped inside a JSON string would not show in the raw text).
    const strings = (v: unknown): string[] => (typeof v === "string" ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(strings) : []);
    const values = lines.flatMap((l) => strings(JSON.parse(l))).join("\n");
    for (const secret of [TOKEN, TOKEN.slice(6), TEST_API_SECRET]) expect(values).not.toContain(secret);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(TOKEN.slice(6));
    expect(output).not.toContain(TEST_API_SECRET);
    // Any 48-byte run of the photo, as base64 (aligned and not), hex or a byte list.
    for (let off = 600; off < photo.length - 64; off += Math.floor(photo.length / 12)) {
      const chunk = photo.subarray(off, off + 48);
      for (const enc of [chunk.toString("base64"), chunk.subarray(1).toString("base64"), chunk.subarray(2).toString("base64"), chunk.toString("hex"), [...chunk.subarray(0, 16)].join(",")]) {
        expect(output.includes(enc.slice(8, 40)), `photo bytes (${enc.slice(0, 12)}…) in the output`).toBe(false);
      }
    }

    // Nothing written to disk: no file under DATA_DIR/tmp, and no file created since the upload
    // (in DATA_DIR or the system temp folder) holds a chunk of the photo.
    expect(existsSync(path.join(app.dataDir, "tmp")) ? readdirSync(path.join(app.dataDir, "tmp")) : []).toEqual([]);
    const needle = photo.subarray(1000, 1064);
    const walk = (dir: string, depth: number): string[] =>
      depth < 0 || !existsSync(dir)
        ? []
        : readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
            const f = path.join(dir, e.name);
            try {
              if (e.isDirectory()) return walk(f, depth - 1);
              const st = statSync(f);
              return e.isFile() && st.mtimeMs >= t0 - 1_000 && st.size < 64 * 2 ** 20 ? [f] : [];
            } catch {
              return [];
            }
          });
    const written = [...walk(app.dataDir, 6), ...walk(os.tmpdir(), 2)];
    const holding = written.filter((f) => {
      try {
        return readFileSync(f).includes(needle);
      } catch {
        return false;
      }
    });
    expect(holding).toEqual([]);
  }, 120_000);
});

describe("preflight: Redis or database missing at start", () => {
  let app: AppEnv;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    app = await appEnv(database.url);
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
    await app?.cleanup();
  });

  const entries: [string, string[]][] = [
    ["web (server.ts)", ["server.ts"]],
    ["worker", ["jobs/worker.ts"]],
    ["CLI (catalog:import)", ["scripts/catalog-import.ts", "--shop", "x.myshopify.com", "--file", "package.json"]],
  ];

  it("each process exits 2 with one sentence saying what to do — no stack trace — when Redis or the database is missing", async () => {
    const closed = await freePort();
    const cases = [
      { what: "Redis on a closed port", env: { REDIS_URL: `redis://127.0.0.1:${closed}` }, says: new RegExp(`^lookalike: Redis is not reachable at redis://127\\.0\\.0\\.1:${closed}\\. Start one with: .*`) },
      {
        what: "Redis Cluster on closed ports",
        env: { REDIS_CLUSTER_NODES: `127.0.0.1:${closed},127.0.0.1:${closed}` },
        says: new RegExp(`^lookalike: Redis Cluster is not reachable or not ok at 127\\.0\\.0\\.1:${closed},127\\.0\\.0\\.1:${closed} \\(REDIS_CLUSTER_NODES\\)\\. Start its nodes .* or unset REDIS_CLUSTER_NODES to use one Redis at REDIS_URL\\.$`),
      },
      {
        what: "PostgreSQL on a closed port",
        env: { DATABASE_URL: `postgresql://root:hunter2@127.0.0.1:${closed}/shop` },
        says: new RegExp(`^lookalike: The database at postgresql://root:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/shop is not reachable \\(.*\\)\\. Run: npm run setup$`),
      },
      { what: "SQLite file without tables", env: { DATABASE_URL: `file:${path.join(app.dataDir, "empty.db")}` }, says: /^lookalike: The database at file:.*empty\.db has no Lookalike tables\. Run: npm run setup$/ },
    ];
    const runs = cases.flatMap((c) => entries.map(([name, args]) => ({ c, name, args })));
    // Three at a time: each is a cold node + tsx start.
    for (let i = 0; i < runs.length; i += 3) {
      const batch = runs.slice(i, i + 3);
      const results = await Promise.all(batch.map(({ c, args }) => runCli(args, { ...app.env, ...c.env }, 60_000)));
      batch.forEach(({ c, name }, j) => {
        const r = results[j];
        const lines = r.stderr.split("\n").filter((l) => l.trim() && !/ExperimentalWarning|--trace-warnings/.test(l));
        expect([name, c.what, r.code], r.stderr).toEqual([name, c.what, 2]);
        expect(lines, `${name}, ${c.what}`).toHaveLength(1);
        expect(lines[0], `${name}, ${c.what}`).toMatch(c.says);
        expect(r.stderr + r.stdout).not.toMatch(/\n\s+at |hunter2/);
      });
    }
  }, 120_000);
});
