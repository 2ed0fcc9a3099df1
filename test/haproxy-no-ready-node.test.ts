/**
 * Redis lost by every web node behind HAProxy (issue 21): two real web processes (server.ts over the
 * build) on one private redis-server, behind Debian's HAProxy with the checked-in config. Redis is
 * SIGKILLed: every node's /readyz says 503 and HAProxy marks them all down in its `web` backend —
 * yet each node still serves the shops it holds from memory. The storefront keeps answering through
 * the load balancer (its `web_live` backend, checked on /healthz, takes over when no node is ready),
 * each shop on the node it was on. ~25 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haproxyInstalled } from "../scripts/lib/haproxy";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { PrivateRedis } from "./support/private-redis";
import { placement, seedEmbeddedShops, WebTier } from "./support/web-tier";

const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled();
if (required && !available) throw new Error("haproxy is not installed: apt-get install haproxy (CI installs it in .ci/run)");

const SHOPS = Array.from({ length: 12 }, (_, i) => `no-ready-${i}.myshopify.com`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)("every web node unready behind HAProxy (Redis lost)", () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let tier: WebTier;

  beforeAll(async () => {
    redis = new PrivateRedis();
    await redis.start();
    database = await createTestDatabase("sqlite");
    await seedEmbeddedShops(database.url, SHOPS, 30, 300);
    tier = await WebTier.start(database.url, 2, { REDIS_URL: redis.url });
  }, 120_000);

  afterAll(async () => {
    await tier?.stop();
    await redis?.stop();
    await database?.drop();
  });

  it("keeps answering every shop from the node that holds it, though no node is ready", async () => {
    const before = await placement(tier.lbUrl, SHOPS);
    for (const a of before.values()) expect(a.status, a.error).toBe(200);
    expect(new Set([...before.values()].map((a) => a.node))).toEqual(new Set(["web1", "web2"]));

    await redis.stop("SIGKILL");
    // Each node says it is not ready (Redis unreachable)…
    for (const n of tier.nodes) {
      for (const deadline = Date.now() + 10_000; (await fetch(`${n.app.baseUrl}/readyz`)).status !== 503;) {
        if (Date.now() > deadline) throw new Error(`${n.name} stayed ready without Redis`);
        await sleep(200);
      }
    }
    // …and HAProxy's checks (every 1 s, down after 2 failures) take both out of `web`.
    const down = async () => [...(await tier.lb!.runtime("show servers state web")).matchAll(/^\d+ web \d+ (web\d+) \S+ (\d+) /gm)].filter((m) => m[2] === "0").length;
    for (const deadline = Date.now() + 10_000; (await down()) < 2;) {
      if (Date.now() > deadline) throw new Error("HAProxy did not mark the unready nodes down");
      await sleep(200);
    }

    const after = await placement(tier.lbUrl, SHOPS);
    const answers = [...after.values()];
    console.log(
      `[test] Redis lost, both nodes down in \`web\`: ${answers.filter((a) => a.status === 200).length} of ${SHOPS.length} shops answered (${[...new Set(answers.map((a) => a.error ?? a.status))].join(" | ")})`,
    );
    for (const shop of SHOPS) expect([shop, after.get(shop)!.status, after.get(shop)!.node]).toEqual([shop, 200, before.get(shop)!.node]);
  }, 60_000);
});
