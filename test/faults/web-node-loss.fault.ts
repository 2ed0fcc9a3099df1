/**
 * A web node lost under load (issue 21): three real web processes behind Debian's HAProxy with the
 * checked-in config, one PostgreSQL, 50 shops; an open loop of signed storefront requests over all
 * shops while one node is SIGKILLed. Only requests in flight on the dead node may fail (≤ 0.1 %),
 * every shop the dead node served is answered by another within 5 s, and no answer names a product
 * the shop does not have. A long fault run (`npm run test:faults`, not `npm test`): on a loaded
 * 2-core machine the surviving nodes' own stalls fail HAProxy's health checks and blur the result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haproxyInstalled } from "../../scripts/lib/haproxy";
import { createTestDatabase, type TestDatabase } from "../support/databases";
import { askSimilar, openLoop, SEEDED_ID_BASE, seedEmbeddedShops, WebTier, type Answer } from "../support/web-tier";

const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled();
if (required && !available) throw new Error("haproxy is not installed: apt-get install haproxy (CI installs it in .ci/run)");
const POSTGRES_REQUIRED = process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1";

const SHOPS = Array.from({ length: 50 }, (_, i) => `node-loss-${i}.myshopify.com`);
const PER_SHOP = 40;
const RATE = 120; // requests a second, open loop
const SECONDS = 12;
const KILL_AT_MS = 4_000;

describe.skipIf(!available)("a web node SIGKILLed under storefront load", () => {
  let database: TestDatabase;
  let tier: WebTier;

  beforeAll(async () => {
    try {
      database = await createTestDatabase("postgresql");
    } catch (err) {
      if (POSTGRES_REQUIRED) throw err;
      database = await createTestDatabase("sqlite");
    }
    await seedEmbeddedShops(database.url, SHOPS, PER_SHOP);
    tier = await WebTier.start(database.url, 3);
  }, 240_000);

  afterAll(async () => {
    await tier?.stop();
    await database?.drop();
  });

  const ask = (shop: string, i: number): Promise<Answer> => askSimilar(tier.lbUrl, shop, String(SEEDED_ID_BASE + (i % PER_SHOP)));

  it("fails at most 0.1 % of requests, moves the dead node's shops within 5 s, and never serves a product the shop lacks", async () => {
    // Every shop opened once on its node.
    const home = new Map<string, string>();
    for (const shop of SHOPS) {
      const s = await ask(shop, 0);
      expect(s.status).toBe(200);
      home.set(shop, s.node);
    }
    const counts = new Map<string, number>();
    for (const n of home.values()) counts.set(n, (counts.get(n) ?? 0) + 1);
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const victimShops = SHOPS.filter((s) => home.get(s) === victim);

    // Open loop: a request every 1/RATE s whatever the answers do; the victim SIGKILLed at KILL_AT_MS.
    let killedAt = 0;
    let diedAt = 0; // when its parent saw it exit: requests sent until then may have reached it
    const timed = await openLoop(
      RATE,
      SECONDS,
      (i) => ask(SHOPS[(i * 7) % SHOPS.length], i),
      (elapsed) => {
        if (killedAt || elapsed < KILL_AT_MS) return;
        killedAt = performance.now();
        const dying = tier.node(victim).web.child;
        dying.once("exit", () => (diedAt = performance.now()));
        dying.kill("SIGKILL");
      },
    );
    const done = timed.map((t) => ({ ...t.value, sentAt: t.sentAt, doneAt: t.doneAt }));
    const failed = done.filter((s) => s.status !== 200);
    // In flight on the dead node at the kill: sent before it, to one of its shops, answered (or not) after.
    const gone = Math.max(killedAt, diedAt);
    const inFlight = done.filter((s) => s.sentAt < gone && home.get(s.shop) === victim && (s.status !== 200 || (s.doneAt ?? 0) > killedAt)).length;
    const firstAfter = victimShops.map((shop) => {
      const ok = done.filter((s) => s.shop === shop && s.sentAt >= killedAt && s.status === 200).sort((a, b) => a.sentAt - b.sentAt)[0];
      return ok ? ok.sentAt - killedAt : Infinity;
    });
    firstAfter.sort((a, b) => a - b);
    const p99 = firstAfter[Math.min(firstAfter.length - 1, Math.ceil(0.99 * firstAfter.length) - 1)];
    console.log(
      `[test] ${done.length} requests at ${RATE}/s over ${SHOPS.length} shops, ${victim} (${victimShops.length} shops) SIGKILLed at ${KILL_AT_MS} ms (exit seen ${(gone - killedAt).toFixed(0)} ms later): ` +
        `${inFlight} in flight on it, ${failed.length} failed (${[...new Set(failed.map((f) => f.error ?? f.status))].join(" | ") || "none"}); its shops' first answer after the kill p99 ${p99.toFixed(0)} ms, max ${firstAfter[firstAfter.length - 1].toFixed(0)} ms`,
    );
    console.log(`[test] failed: ${failed.map((f) => `${home.get(f.shop)}@${(f.sentAt - killedAt).toFixed(0)}ms`).join(" ")}`);
    // Only requests the dead node had taken may fail: ≤ 0.1 % of all, or those in flight on it when
    // more were (on this shared 2-core box an answer takes tens of ms, so several are in flight).
    expect(failed.length).toBeLessThanOrEqual(Math.max(Math.floor(0.001 * done.length), inFlight));
    for (const f of failed) expect(home.get(f.shop), `${f.shop} failed but was not on ${victim}`).toBe(victim);
    for (const f of failed) expect(f.sentAt, "a request sent after the node was gone failed").toBeLessThan(gone);
    expect(p99).toBeLessThanOrEqual(5_000);
    for (const s of done.filter((d) => d.sentAt > killedAt + 3_000 && d.status === 200)) expect(s.node).not.toBe(victim);
    const valid = new Set(Array.from({ length: PER_SHOP }, (_, j) => String(SEEDED_ID_BASE + j)));
    for (const s of done) for (const id of s.ids) expect(valid.has(id), `${s.shop} served ${id}`).toBe(true);
  }, 120_000);
});
