import { describe, expect, it, vi } from "vitest";
import { browserRequired, hasChromium } from "./browser";

describe("browser tests: a missing Chromium", () => {
  it("fails in CI (CI=true, CI=1) or with REQUIRE_BROWSER=1, and skips with a warning elsewhere", () => {
    expect(browserRequired({ CI: "true" })).toBe(true);
    expect(browserRequired({ CI: "1" })).toBe(true);
    expect(browserRequired({ REQUIRE_BROWSER: "1" })).toBe(true);
    expect(browserRequired({})).toBe(false);
    expect(browserRequired({ CI: "false" })).toBe(false);
    expect(browserRequired({ CI: "" })).toBe(false);

    const missing = "/no/such/chromium";
    expect(() => hasChromium("t", { CI: "true" }, missing)).toThrow(/Chromium is required.*\/no\/such\/chromium/);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(hasChromium("t", {}, missing)).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("[t] SKIPPED"));
    } finally {
      warn.mockRestore();
    }
    expect(hasChromium("t", { CI: "true" }, process.execPath)).toBe(true); // any file that exists
  });
});
