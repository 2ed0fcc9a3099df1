/**
 * The short hostile-mix run (scripts/hostile-mix.ts runs the long one): the production web
 * process and a worker under normal storefront load, quiet and then beside oversized and chunked
 * bodies, slow uploads, event floods with invented ids and cache-key spraying. Every target of the
 * hostile-traffic issue is checked; the figures are printed.
 */
import { describe, expect, it } from "vitest";
import { runHostileMix } from "../scripts/lib/hostile-mix";

describe("hostile traffic beside normal storefront load", () => {
  it("keeps the web process alive, its memory and Redis bounded, shoppers served and the analytics clean", async () => {
    const result = await runHostileMix({ seconds: 15, n: 500, rate: 30, log: (l) => console.log(`[hostile mix] ${l}`) });
    for (const c of result.checks) console.log(`[hostile mix] ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
    console.log(`[hostile mix] attacks ${JSON.stringify(result.attacks.statuses)}`);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  }, 300_000);
});
