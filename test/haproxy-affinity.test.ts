/**
 * Shop affinity at the load balancer: Debian's HAProxy with the checked-in config
 * (ops/haproxy/haproxy.cfg) in front of three real web processes (server.ts) sharing one database
 * and one Redis. A shop always lands on the same node, whichever way it is named (the app proxy's
 * `shop`, the webhooks' header, the admin session token); a node that stops leaves the ring and only
 * its shops move; HAProxy answers every request meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appEnv, freePort, startWeb, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { haproxyInstalled, startHaproxy, type RunningHaproxy } from "../scripts/lib/haproxy";
import { createTestDatabase, type TestDatabase } from "./support/databases";

// In CI (CI=true or REQUIRE_HAPROXY=1, which .ci/run sets) a missing haproxy fails the suite, never skips it.
const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled();
if (required && !available) throw new Error("haproxy is not installed: apt-get install haproxy (CI installs it in .ci/run)");

const SHOPS = Array.from({ length: 60 }, (_, i) => `affinity-${i}.myshopify.com`);
const jwt = (shop: string) =>
  [{ alg: "HS256", typ: "JWT" }, { dest: `https://${shop}`, iss: `https://${shop}/admin` }, "sig"].map((p) => Buffer.from(typeof p === "string" ? p : JSON.stringify(p)).toString("base64url")).join(".");

describe.skipIf(!available)("HAProxy shop affinity over three web processes", () => {
  let database: TestDatabase;
  let lb: RunningHaproxy;
  let lbPort: number;
  const webs: RunningProcess[] = [];
  const apps: AppEnv[] = [];

  const nodeFor = async (init: { query?: string; headers?: Record<string, string> }) => {
    const res = await fetch(`http://127.0.0.1:${lbPort}/healthz${init.query ?? ""}`, { headers: init.headers });
    expect(res.status).toBe(200);
    // Read to the end: an unread body keeps its request in flight at HAProxy, and bounded load
    // (hash-balance-factor) then sends the next shop's request past a node it counts as busy.
    await res.arrayBuffer();
    return res.headers.get("x-lookalike-node") ?? "";
  };
  const placement = async () => {
    const out = new Map<string, string>();
    for (const shop of SHOPS) out.set(shop, await nodeFor({ query: `?shop=${shop}` }));
    return out;
  };

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    const first = await appEnv(database.url);
    apps.push(first);
    for (let i = 1; i < 3; i++) {
      const port = await freePort();
      apps.push({ ...first, port, baseUrl: `http://127.0.0.1:${port}`, env: { ...first.env, PORT: String(port), SHOPIFY_APP_URL: `http://localhost:${port}` } });
    }
    for (const app of apps) webs.push(await startWeb(app));
    lbPort = await freePort();
    lb = await startHaproxy(
      lbPort,
      apps.map((a, i) => ({ name: `web${i + 1}`, port: a.port })),
    );
  }, 180_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(webs.map((w) => w.stop()));
    await apps[0]?.cleanup().catch(() => {});
    await database?.drop();
  });

  it("sends each shop to one node, the same whether named by ?shop, the webhook header or the admin session token", async () => {
    const first = await placement();
    const again = await placement();
    expect(again).toEqual(first);
    const counts = new Map<string, number>();
    for (const node of first.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    console.log(`[test] 60 shops over 3 nodes: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect([...counts.keys()].sort()).toEqual(["web1", "web2", "web3"]);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(8); // no node starved (60/3 = 20 expected)
    for (const shop of SHOPS.slice(0, 15)) {
      expect(await nodeFor({ headers: { "X-Shopify-Shop-Domain": shop } })).toBe(first.get(shop));
      expect(await nodeFor({ query: `?shop=${shop.toUpperCase()}` })).toBe(first.get(shop));
      expect(await nodeFor({ headers: { Authorization: `Bearer ${jwt(shop)}` } })).toBe(first.get(shop));
    }
  });

  it("moves only the stopped node's shops to the others, answering every request meanwhile", async () => {
    const before = await placement();
    const victim = "web2";
    const index = 1;
    await webs[index].stop("SIGTERM");
    // Requests right after the stop: HAProxy's retries and redispatch answer them elsewhere.
    for (const shop of SHOPS.slice(0, 20)) await nodeFor({ query: `?shop=${shop}` });
    // Once the health check has marked it down (2 failed checks, 1 s apart), placement is stable again.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await placement();
    let moved = 0;
    for (const shop of SHOPS) {
      const was = before.get(shop)!;
      const now = after.get(shop)!;
      expect(now).not.toBe(victim);
      if (was !== victim) expect(now).toBe(was);
      else moved++;
    }
    const victimShops = [...before.values()].filter((n) => n === victim).length;
    console.log(`[test] ${victim} stopped: ${moved} of 60 shops moved (it held ${victimShops}), the others stayed`);
    expect(moved).toBe(victimShops);
  }, 60_000);
});
