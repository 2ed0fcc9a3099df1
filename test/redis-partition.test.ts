/**
 * A web node partitioned from Redis, not from its clients, for 10 s (issue 21): the real web process
 * (server.ts over the build) reaches its Redis (a private redis-server) only through a TCP proxy
 * (test/support/tcp-proxy.ts); the test partitions it twice — the connections reset and refused
 * (`cut`), then silent (`stall`: connections open, no byte passes, as when packets are dropped) —
 * while a shopper keeps asking for similar products. During the partition a product is changed the
 * way a worker on another machine changes it (its row, then catalogChanged: the version bump, and
 * a message on the real Redis that this node cannot receive). The node answers every request from
 * memory, applies the change from the database's version (re-checked at most once a second), and
 * once the partition ends no answer shows the product older than its catalog version; a change
 * after it reaches the node through pub/sub again (its change-lag histogram counts the message).
 * ~30 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogChanged } from "../app/catalog/catalog-changed.server";
import { createPrismaClient, type Db } from "../app/db.server";
import { createRedis, type RedisClient } from "../app/redis.server";
import { appEnv, freePort, startWeb, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { PrivateRedis } from "./support/private-redis";
import { TcpProxy } from "./support/tcp-proxy";
import { SEEDED_ID_BASE, seedEmbeddedShops } from "./support/web-tier";

const SHOP = "partition.myshopify.com";
const PER_SHOP = 40;
const PARTITION_MS = 10_000;
const CHANGE_AT_MS = 2_000; // into the partition
const AFTER_MS = 4_000; // asked after the partition ends
const TOKEN = "partition-metrics-token";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seen {
  sentAt: number;
  ms: number;
  status: number;
  /** The changed product's title in the answer, when it is in it. */
  title?: string;
}

describe("a web node partitioned from Redis for 10 s", () => {
  let database: TestDatabase;
  let db: Db;
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let app: AppEnv;
  let web: RunningProcess;
  let publisher: RedisClient; // the other machines' side of the partition
  let metricsUrl = "";
  const changed = String(SEEDED_ID_BASE + 5);
  let asked = ""; // a product whose similar products include `changed`

  beforeAll(async () => {
    redis = new PrivateRedis();
    await redis.start();
    proxy = new TcpProxy({ host: "127.0.0.1", port: redis.port });
    await proxy.start();
    database = await createTestDatabase("sqlite");
    await seedEmbeddedShops(database.url, [SHOP], PER_SHOP, 77);
    db = createPrismaClient(database.url);
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    app = await appEnv(database.url, { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, METRICS: "1", METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN });
    publisher = createRedis(redis.url);
    process.env.REDIS_NAMESPACE = app.env.REDIS_NAMESPACE; // the change channel's namespace, as the node's
    web = await startWeb(app);
    for (let i = 0; i < PER_SHOP && !asked; i++) {
      const id = String(SEEDED_ID_BASE + i);
      if (id === changed) continue;
      const res = await fetch(signedUrl(app.baseUrl, "similar", SHOP, { product_id: id, limit: "12" }));
      expect(res.status).toBe(200);
      if (((await res.json()) as { products: { id: string }[] }).products.some((p) => p.id === changed)) asked = id;
    }
    expect(asked, `no product lists ${changed} among its similar products`).not.toBe("");
  }, 120_000);

  afterAll(async () => {
    delete process.env.REDIS_NAMESPACE;
    await web?.stop();
    publisher?.disconnect();
    await proxy?.stop();
    await redis?.stop();
    await db?.$disconnect();
    await app?.cleanup().catch(() => {});
    await database?.drop();
  });

  /** Change messages this node applied (its lookalike_catalog_change_lag_seconds count). */
  const messagesApplied = async () => {
    const text = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    return Number(/^lookalike_catalog_change_lag_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
  };

  /** One shopper asking for `asked`'s similar products without pause until `stop()`. */
  const shopper = () => {
    const seen: Seen[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const sentAt = performance.now();
        try {
          const res = await fetch(signedUrl(app.baseUrl, "similar", SHOP, { product_id: asked, limit: "12" }), { signal: AbortSignal.timeout(10_000) });
          const body = (await res.json().catch(() => ({}))) as { products?: { id: string; title: string }[] };
          seen.push({ sentAt, ms: performance.now() - sentAt, status: res.status, title: body.products?.find((p) => p.id === changed)?.title });
        } catch {
          seen.push({ sentAt, ms: performance.now() - sentAt, status: 0 });
        }
        await sleep(25);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return seen;
      },
    };
  };

  const change = async (title: string) => {
    await db.product.update({ where: { shopDomain_id: { shopDomain: SHOP, id: changed } }, data: { title } });
    await catalogChanged({ db, publisher }, SHOP);
    return performance.now();
  };

  /**
   * From `from`, how long until every answer (sent before `until`) that lists the product shows
   * `title`. (An answer may not list it: right after a refresh the product's neighbour list is
   * remade in the background and the answer comes from a search of the graph, decision 15.)
   */
  const servedFrom = (seen: Seen[], from: number, until: number, title: string) => {
    const after = seen.filter((s) => s.sentAt >= from && s.sentAt < until && s.status === 200 && s.title !== undefined);
    const lastOld = after.filter((s) => s.title !== title).at(-1);
    const next = lastOld ? after.find((s) => s.sentAt > lastOld.sentAt) : after[0];
    return next ? next.sentAt - from : Infinity;
  };

  for (const mode of ["cut", "stall"] as const) {
    it(`${mode === "cut" ? "connections reset and refused" : "silent (no byte passes)"}: serves from memory, applies a change made meanwhile, shows nothing older once back, and hears pub/sub again`, async () => {
      const title = `Changed while partitioned (${mode})`;
      const load = shopper();
      await sleep(500);
      const messagesBefore = await messagesApplied();
      const start = performance.now();
      if (mode === "cut") await proxy.cut();
      else proxy.stall();
      await sleep(CHANGE_AT_MS);
      const changedAt = await change(title);
      const ready = await fetch(`${app.baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status,
        () => 0,
      );
      await sleep(start + PARTITION_MS - performance.now());
      if (mode === "cut") await proxy.restore();
      else proxy.heal();
      const endedAt = performance.now();
      await sleep(AFTER_MS);
      // A change after the partition: the node hears its message on Redis again.
      const afterTitle = `Changed after the partition (${mode})`;
      const changedAfterAt = await change(afterTitle);
      await sleep(2_000);
      const seen = await load.stop();
      const messagesAfter = await messagesApplied();

      const during = seen.filter((s) => s.sentAt >= start && s.sentAt < endedAt);
      const slowest = Math.max(...during.map((s) => s.ms));
      const failed = seen.filter((s) => s.status !== 200);
      const fresh = servedFrom(seen, changedAt, changedAfterAt, title);
      const freshAfter = servedFrom(seen, changedAfterAt, Infinity, afterTitle);
      const staleAfterEnd = seen.filter((s) => s.sentAt >= endedAt && s.sentAt < changedAfterAt && s.title !== undefined && s.title !== title);
      const listed = seen.filter((s) => s.title !== undefined).length;
      console.log(
        `[test] partition (${mode}) ${PARTITION_MS} ms: ${seen.length} answers (${during.length} during it), ${failed.length} failed; slowest during it ${slowest.toFixed(0)} ms; ` +
          `/readyz during it ${ready}; a change made during it served after ${fresh.toFixed(0)} ms, one made after it after ${freshAfter.toFixed(0)} ms; ` +
          `change messages applied ${messagesBefore} → ${messagesAfter}; answers older than the catalog after it ended: ${staleAfterEnd.length}; answers listing the product ${listed} of ${seen.length}`,
      );

      expect(failed.map((f) => f.status)).toEqual([]);
      expect(during.length).toBeGreaterThan(20); // it kept answering throughout
      expect(listed).toBeGreaterThan(0.9 * seen.length); // the changed product is in (nearly) every answer
      expect(slowest).toBeLessThan(1_000); // from memory: never waiting on Redis
      // The change made during the partition reached the node from the database's version.
      expect(fresh).toBeLessThanOrEqual(2_500);
      expect(staleAfterEnd).toEqual([]);
      // Caught up: the change after the partition came by pub/sub, and was served within the same
      // bound. The message published during a cut is lost (the version re-check covered it); one
      // published during a stall waited in the socket's buffers and arrived once it healed.
      expect(messagesAfter - messagesBefore).toBe(mode === "cut" ? 1 : 2);
      expect(freshAfter).toBeLessThanOrEqual(2_500);
      expect(web.child.exitCode).toBeNull();
    }, 60_000);
  }
});
