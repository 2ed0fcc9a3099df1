/**
 * A 4th web node joins under load (issue 21): three real web processes behind Debian's HAProxy with
 * the checked-in config, one PostgreSQL with the shared snapshot store (SNAPSHOT_STORE=database),
 * 50 shops; an open loop of signed storefront requests over all shops while a 4th node, started
 * beforehand with an empty DATA_DIR, is added to HAProxy's backend through its runtime API
 * (`add server`, `enable health`, `enable server`: no reload). No request fails; only the shops the
 * consistent-hash ring now gives the new node move (≈ 1/4), all to it; and it opens every one of them
 * from the store, not the rows: its log says `N products from its snapshot (store), 0 rows loaded`.
 * A long fault run (`npm run test:faults`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "../../app/db.server";
import { haproxyInstalled } from "../../scripts/lib/haproxy";
import { createTestDatabase, type TestDatabase } from "../support/databases";
import { askSimilar, openLoop, placement, SEEDED_ID_BASE, seedEmbeddedShops, WebTier, type WebNode } from "../support/web-tier";

const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled();
if (required && !available) throw new Error("haproxy is not installed: apt-get install haproxy (CI installs it in .ci/run)");

const SHOPS = Array.from({ length: 50 }, (_, i) => `node-join-${i}.myshopify.com`);
const PER_SHOP = 40;
const RATE = 120; // requests a second, open loop
const SECONDS = 12;
const JOIN_AT_MS = 3_000;

/** The node's own account of each shop it opened: products from its snapshot, where from, rows loaded. */
function opens(node: WebNode): { shop: string; fromSnapshot: number; source: string; rowsLoaded: number }[] {
  return [...node.web.output().matchAll(/opened (\S+): (\d+) products from its snapshot \((\w+)\), (\d+) rows loaded/g)].map((m) => ({
    shop: m[1],
    fromSnapshot: Number(m[2]),
    source: m[3],
    rowsLoaded: Number(m[4]),
  }));
}

describe.skipIf(!available)("a 4th web node joins under storefront load", () => {
  let database: TestDatabase;
  let tier: WebTier;
  let joining: WebNode;

  beforeAll(async () => {
    database = await createTestDatabase("postgresql"); // the shared snapshot store lives there
    await seedEmbeddedShops(database.url, SHOPS, PER_SHOP, 900);
    tier = await WebTier.start(database.url, 3, { SNAPSHOT_STORE: "database" });
    joining = await tier.startNode(); // booted, ready, not yet in HAProxy
  }, 240_000);

  afterAll(async () => {
    await tier?.stop();
    await database?.drop();
  });

  it("moves ≈ 1/4 of the shops, all to the new node, which loads them from the shared snapshots; no request fails", async () => {
    const before = await placement(tier.lbUrl, SHOPS);
    for (const a of before.values()) expect(a.status, a.error).toBe(200);
    // Every shop's snapshot published by the node that opened it (5 s after its changes settle).
    const db = createPrismaClient(database.url);
    try {
      for (const deadline = Date.now() + 90_000; (await db.shopSnapshot.count()) < SHOPS.length;) {
        if (Date.now() > deadline) throw new Error(`only ${await db.shopSnapshot.count()} of ${SHOPS.length} snapshots published`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await db.$disconnect();
    }

    let joinedAt = 0;
    let joinError: unknown;
    const timed = await openLoop(
      RATE,
      SECONDS,
      (i) => askSimilar(tier.lbUrl, SHOPS[(i * 7) % SHOPS.length], String(SEEDED_ID_BASE + (i % PER_SHOP))),
      (elapsed) => {
        if (joinedAt || elapsed < JOIN_AT_MS) return;
        joinedAt = performance.now();
        tier.join(joining).catch((err) => (joinError = err));
      },
    );
    expect(joinError).toBeUndefined();
    const after = await placement(tier.lbUrl, SHOPS);

    const failed = timed.filter((t) => t.value.status !== 200);
    const moved = SHOPS.filter((s) => after.get(s)!.node !== before.get(s)!.node);
    const onNew = timed.filter((t) => t.value.node === joining.name);
    const firstOnNew = onNew.length ? Math.min(...onNew.map((t) => t.sentAt)) - joinedAt : Infinity;
    // The moved shops' answers from the new node: the first of each pays for the open.
    const firstAnswers = moved.map((shop) => timed.filter((t) => t.value.shop === shop && t.value.node === joining.name).sort((a, b) => a.sentAt - b.sentAt)[0]).filter(Boolean);
    const openMs = firstAnswers.map((t) => t.doneAt - t.sentAt).sort((a, b) => a - b);
    const others = timed
      .filter((t) => t.value.node !== joining.name)
      .map((t) => t.doneAt - t.sentAt)
      .sort((a, b) => a - b);
    const p = (xs: number[], q: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] : NaN);
    const newOpens = opens(joining);
    const fetchMs = [...joining.web.output().matchAll(/fetched the snapshot of \S+ from the store: .* in (\d+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    const count = (m: Map<string, { node: string }>) => {
      const c: Record<string, number> = {};
      for (const a of m.values()) c[a.node] = (c[a.node] ?? 0) + 1;
      return JSON.stringify(c);
    };
    console.log(
      `[test] ${timed.length} requests at ${RATE}/s over ${SHOPS.length} shops, ${joining.name} added at ${JOIN_AT_MS} ms (runtime API): ${failed.length} failed ` +
        `(${[...new Set(failed.map((f) => f.value.error))].join(" | ") || "none"}); first answer from it ${firstOnNew.toFixed(0)} ms after the add; ` +
        `placement ${count(before)} → ${count(after)}: ${moved.length} of ${SHOPS.length} shops moved (${((100 * moved.length) / SHOPS.length).toFixed(0)} %); ` +
        `${joining.name} opened ${newOpens.length} shops: ${newOpens.filter((o) => o.source === "store" && o.rowsLoaded === 0).length} from the store with 0 rows loaded, ` +
        `rows loaded in all ${newOpens.reduce((n, o) => n + o.rowsLoaded, 0)}; a moved shop's first answer there p50 ${p(openMs, 0.5).toFixed(0)} ms, max ${p(openMs, 1).toFixed(0)} ms ` +
        `(other answers p50 ${p(others, 0.5).toFixed(0)} ms, p99 ${p(others, 0.99).toFixed(0)} ms); its store fetches p50 ${p(fetchMs, 0.5)} ms, max ${p(fetchMs, 1)} ms`,
    );

    // No request failed (no 5xx, no reset) while the node joined.
    expect(failed.map((f) => f.value.error)).toEqual([]);
    // Consistent hashing: only shops the new node now owns moved, all of them to it — about 1/4.
    for (const shop of moved) expect(after.get(shop)!.node, `${shop} moved between old nodes`).toBe(joining.name);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThanOrEqual(SHOPS.length / 2);
    // The new node loaded every shop it opened from the shared store: no rebuild, no vector row read.
    expect(newOpens.length).toBeGreaterThanOrEqual(moved.length);
    for (const shop of moved) expect(newOpens.map((o) => o.shop)).toContain(shop);
    for (const o of newOpens) expect(o, `${o.shop} on ${joining.name}`).toEqual({ shop: o.shop, fromSnapshot: PER_SHOP, source: "store", rowsLoaded: 0 });
    // And answered as the shop's catalog says: no product the shop lacks.
    const valid = new Set(Array.from({ length: PER_SHOP }, (_, j) => String(SEEDED_ID_BASE + j)));
    for (const t of timed) for (const id of t.value.ids) expect(valid.has(id), `${t.value.shop} served ${id}`).toBe(true);
  }, 180_000);
});
