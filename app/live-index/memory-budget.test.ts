import { describe, expect, it } from "vitest";
import type { ShopEntry } from "./live-catalog";
import { maxOpeningFromEnv, memoryBudgetFromEnv, overBudget } from "./memory-budget";

const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;
const entry = (shop: string, bytes: number, extra: Partial<ShopEntry> = {}) => ({ shop, bytes, ...extra }) as ShopEntry;

describe("memory budget", () => {
  it("drops least recently used shops first until the rest fit, never the one kept nor one being refreshed", () => {
    const a = entry("a", 40), b = entry("b", 40, { refreshing: Promise.resolve() }), c = entry("c", 40), d = entry("d", 40);
    expect(overBudget([a, b, c, d], 100, d).map((e) => e.shop)).toEqual(["a", "c"]);
    expect(overBudget([a, b, c, d], 160, d)).toEqual([]);
  });

  it("reads LIVE_CATALOGS_MAX_MB and LIVE_CATALOGS_MAX_OPENING, with defaults for nonsense", () => {
    expect(memoryBudgetFromEnv(env({ LIVE_CATALOGS_MAX_MB: "10" }))).toBe(10 * 2 ** 20);
    expect(memoryBudgetFromEnv(env({ LIVE_CATALOGS_MAX_MB: "-1" }))).toBe(4096 * 2 ** 20);
    expect(maxOpeningFromEnv(env({}))).toBe(2);
    expect(maxOpeningFromEnv(env({ LIVE_CATALOGS_MAX_OPENING: "1.5" }))).toBe(2);
    expect(maxOpeningFromEnv(env({ LIVE_CATALOGS_MAX_OPENING: "5" }))).toBe(5);
  });
});
