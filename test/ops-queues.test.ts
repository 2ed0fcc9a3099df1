/**
 * The operators' queue dashboard (/ops/queues, app/ops/queue-dashboard.server.ts) on the real web
 * server (server.ts over build/), real Redis and real BullMQ queues of the run's prefix:
 * off (404) without OPS_* settings; 401 with `WWW-Authenticate: Basic` and nothing else without or
 * with wrong credentials; with them, bull-board's API lists this deployment's embed and sync
 * queues, and a failed job retried through it leaves the failed set. Chromium screenshots of the
 * page go to test-artifacts/ops-queues*.png.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedQueue, createSyncQueue, EMBED_QUEUE, embedJobId, queuePrefix, SYNC_QUEUE, type EmbedJobData, type SyncJobData } from "../app/queues/queues.server";
import { appEnv, startWeb, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { ARTIFACTS, DESKTOP_UA, hasChromium, launchChromium } from "./support/browser";
import { PrivateRedis } from "./support/private-redis";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const HAS_CHROMIUM = hasChromium("ops queue dashboard in Chromium");

const USER = "ops";
const PASSWORD = "correct horse battery staple";
const TOKEN = "ops-token-0123456789abcdef";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const NO_OPS = { OPS_USER: undefined, OPS_PASSWORD: undefined, OPS_TOKEN: undefined };

describe("queue dashboard at /ops/queues", () => {
  let database: TestDatabase;
  let on: AppEnv;
  let off: AppEnv;
  let webOn: RunningProcess;
  let webOff: RunningProcess;
  let redis: Redis;
  let embed: Queue<EmbedJobData>;
  let sync: Queue<SyncJobData>;
  const failedId = embedJobId("ops.myshopify.com", "1", "t".repeat(40), "i".repeat(40));
  const waitingId = embedJobId("ops.myshopify.com", "2", "u".repeat(40), "j".repeat(40));

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    on = await appEnv(database.url, { ...NO_OPS, OPS_USER: USER, OPS_PASSWORD: PASSWORD, OPS_TOKEN: TOKEN });
    off = await appEnv(database.url, NO_OPS);
    [webOn, webOff] = await Promise.all([startWeb(on), startWeb(off)]);

    // This deployment's queues, as the web and the CLI make them: one job that fails for good,
    // one waiting, one sync run.
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const prefix = queuePrefix(on.env);
    embed = createEmbedQueue(redis, prefix);
    sync = createSyncQueue(redis, prefix);
    await embed.add("embed-product", { shop: "ops.myshopify.com", productId: "1" }, { jobId: failedId, attempts: 1 });
    const worker = new Worker<EmbedJobData>(EMBED_QUEUE, async () => {
      throw new Error("image host answered 404");
    }, { connection: redis.duplicate(), prefix, autorun: true });
    for (const until = Date.now() + 15_000; (await embed.getJobState(failedId)) !== "failed"; ) {
      if (Date.now() > until) throw new Error("the job did not fail");
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.close();
    await embed.add("embed-product", { shop: "ops.myshopify.com", productId: "2" }, { jobId: waitingId });
    await sync.add("bulk-sync", { kind: "bulk-sync", shop: "ops.myshopify.com", runId: "run-1" }, { jobId: "bulk|ops.myshopify.com|run-1", delay: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([webOn?.stop(), webOff?.stop()]);
    await embed?.close();
    await sync?.close();
    redis?.disconnect();
    await on?.cleanup();
    await off?.cleanup();
    await database?.drop();
  });

  it("is off (404 as for any unknown path) when neither OPS_USER/OPS_PASSWORD nor OPS_TOKEN is set, credentials or not", async () => {
    const unknown = await fetch(`${off.baseUrl}/ops/nothing-here`);
    expect(unknown.status).toBe(404);
    const unknownType = unknown.headers.get("content-type");
    const unknownBody = (await unknown.text()).replaceAll("/ops/nothing-here", "PATH");
    for (const p of ["/ops/queues", "/ops/queues/", "/ops/queues/api/queues"]) {
      for (const headers of [{}, { Authorization: basic(USER, PASSWORD) }, { Authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
        const res = await fetch(`${off.baseUrl}${p}`, { headers });
        expect(res.status, p).toBe(404);
        expect(res.headers.get("www-authenticate")).toBeNull();
        expect(res.headers.get("content-type")).toBe(unknownType);
        // The same page as any unknown path: nothing says a dashboard could be here.
        const body = (await res.text()).replaceAll(p, "PATH");
        expect(body).not.toMatch(/queue|bull/i);
        expect(body.length).toBeGreaterThan(unknownBody.length - 50);
        expect(body.length).toBeLessThan(unknownBody.length + 50);
      }
    }
    const put = await fetch(`${off.baseUrl}/ops/queues/api/queues/${EMBED_QUEUE}/retry/failed`, { method: "PUT", headers: { Authorization: basic(USER, PASSWORD) } });
    expect(put.status).toBe(404);
  });

  it("answers 401 with WWW-Authenticate: Basic and nothing else without or with wrong credentials", async () => {
    const attempts: Record<string, string | undefined> = {
      none: undefined,
      "wrong password": basic(USER, "correct horse battery stapl"),
      "wrong user": basic("opz", PASSWORD),
      "empty password": basic(USER, ""),
      "no colon": `Basic ${Buffer.from(USER + PASSWORD).toString("base64")}`,
      "not base64": "Basic !!!",
      "wrong token": `Bearer ${TOKEN}x`,
      "password as token": `Bearer ${PASSWORD}`,
      "token as basic password": basic(USER, TOKEN),
      "other scheme": `Digest username="${USER}"`,
    };
    for (const [what, authorization] of Object.entries(attempts)) {
      for (const p of ["/ops/queues", `/ops/queues/api/queues`, `/ops/queues/static/js/main.js`]) {
        const res = await fetch(`${on.baseUrl}${p}`, { headers: authorization ? { Authorization: authorization } : {} });
        expect(res.status, `${what} ${p}`).toBe(401);
        expect(res.headers.get("www-authenticate"), what).toMatch(/^Basic realm="[^"]+"/);
        const body = await res.text();
        expect(body, what).toBe("");
        // Every answer carries its request id (a random UUID, which may well contain "db-"): checked
        // for its shape, and left out of the scan for names that would give the deployment away.
        expect(res.headers.get("x-request-id"), what).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        const headers = [...res.headers].filter(([k]) => k !== "x-request-id").map(([k, v]) => `${k}: ${v}`).join("\n");
        expect(headers, what).not.toMatch(/lookalike-(embed|sync)|db-|bull|express/i);
      }
    }
    // A state-changing request without credentials changes nothing.
    const retry = await fetch(`${on.baseUrl}/ops/queues/api/queues/${EMBED_QUEUE}/retry/failed`, { method: "PUT" });
    expect(retry.status).toBe(401);
    expect(await embed.getJobState(failedId)).toBe("failed");
  });

  it("with basic credentials or the bearer token, its API lists this deployment's embed and sync queues", async () => {
    for (const authorization of [basic(USER, PASSWORD), `Bearer ${TOKEN}`]) {
      const res = await fetch(`${on.baseUrl}/ops/queues/api/queues`, { headers: { Authorization: authorization } });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = (await res.json()) as { queues: { name: string; counts: Record<string, number>; description?: string }[] };
      const byName = new Map(body.queues.map((q) => [q.name, q]));
      expect([...byName.keys()].sort()).toEqual([EMBED_QUEUE, SYNC_QUEUE].sort());
      expect(byName.get(EMBED_QUEUE)!.counts).toMatchObject({ failed: 1, waiting: 1 });
      expect(byName.get(SYNC_QUEUE)!.counts).toMatchObject({ delayed: 1 });
      expect(byName.get(EMBED_QUEUE)!.description).toBe(`prefix ${queuePrefix(on.env)}`);
    }
    // The other deployment's prefix (the "off" web's namespace) has no queues here: the counts are this prefix's.
    const page = await fetch(`${on.baseUrl}/ops/queues`, { headers: { Authorization: basic(USER, PASSWORD) } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain('<base href="/ops/queues/"');
    // Its scripts come from under /ops/queues too, behind the same credentials.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    expect((await fetch(`${on.baseUrl}/ops/queues/${script}`)).status).toBe(401);
    const js = await fetch(`${on.baseUrl}/ops/queues/${script}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
  });

  it("refuses a state-changing request sent from another site's page (403), credentials or not", async () => {
    for (const headers of [{ "Sec-Fetch-Site": "cross-site" }, { Origin: "https://evil.example" }] as Record<string, string>[]) {
      const res = await fetch(`${on.baseUrl}/ops/queues/api/queues/${EMBED_QUEUE}/retry/failed`, { method: "PUT", headers: { Authorization: basic(USER, PASSWORD), ...headers } });
      expect(res.status).toBe(403);
    }
    expect(await embed.getJobState(failedId)).toBe("failed");
  });

  it.skipIf(!HAS_CHROMIUM)("renders in Chromium (screenshots in test-artifacts/ops-queues*.png)", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, userAgent: DESKTOP_UA, httpCredentials: { username: USER, password: PASSWORD } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      const outside: string[] = [];
      // Chromium names a request the CSP blocks (requestfailed, ERR_BLOCKED_BY_CSP); one that got an answer is one that left.
      page.on("response", (r) => !r.url().startsWith(on.baseUrl) && outside.push(r.url()));
      await page.goto(`${on.baseUrl}/ops/queues`, { waitUntil: "networkidle" });
      await expect.poll(() => page.getByText(EMBED_QUEUE).count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => page.getByText(SYNC_QUEUE).count()).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(ARTIFACTS, "ops-queues.png"), fullPage: true });
      await page.goto(`${on.baseUrl}/ops/queues/queue/${EMBED_QUEUE}?status=failed`, { waitUntil: "networkidle" });
      await expect.poll(() => page.getByText("image host answered 404").count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(ARTIFACTS, "ops-queues-failed.png"), fullPage: true });
      // Google Fonts, which bull-board's page links, is refused by the CSP: nothing leaves for another host.
      expect(outside).toEqual([]);
      expect(errors.some((e) => /Content Security Policy/.test(e) && /fonts\.googleapis\.com/.test(e)), errors.join("\n")).toBe(true);
      expect(errors.filter((e) => !/fonts\.googleapis\.com/.test(e))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("a failed job retried through the API's retry endpoint leaves the failed set", async () => {
    expect(await embed.getFailedCount()).toBe(1);
    const res = await fetch(`${on.baseUrl}/ops/queues/api/queues/${EMBED_QUEUE}/${encodeURIComponent(failedId)}/retry`, {
      method: "PUT",
      headers: { Authorization: basic(USER, PASSWORD) },
    });
    expect(res.status).toBeLessThan(300);
    expect(await embed.getFailedCount()).toBe(0);
    expect(await embed.getJobState(failedId)).toBe("waiting");
    // And the dashboard's counts say so.
    const list = (await (await fetch(`${on.baseUrl}/ops/queues/api/queues`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(list.queues.find((q) => q.name === EMBED_QUEUE)!.counts).toMatchObject({ failed: 0, waiting: 2 });
  });
});

describe("queue dashboard while Redis is away", () => {
  let database: TestDatabase;
  let app: AppEnv;
  let web: RunningProcess;
  const redis = new PrivateRedis();

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase("sqlite");
    app = await appEnv(database.url, { ...NO_OPS, OPS_TOKEN: TOKEN, REDIS_URL: redis.url });
    web = await startWeb(app);
  }, 120_000);

  afterAll(async () => {
    await web?.stop();
    await redis.stop();
    await database?.drop();
    await app?.cleanup().catch(() => {}); // its Redis is gone with its keys
  });

  it("answers an error within seconds (no hang), the web stays up, and lists the queues again once Redis is back", async () => {
    const list = () => fetch(`${app.baseUrl}/ops/queues/api/queues`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(15_000) });
    expect((await list()).status).toBe(200);
    await redis.stop();
    const started = Date.now();
    const away = await list();
    expect(away.status).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(web.child.exitCode).toBeNull();
    await redis.start(); // same port, empty
    await expect.poll(async () => (await list()).status, { timeout: 20_000, interval: 500 }).toBe(200);
    const body = (await (await list()).json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([EMBED_QUEUE, SYNC_QUEUE].sort());
  }, 60_000);
});
