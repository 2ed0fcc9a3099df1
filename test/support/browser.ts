/**
 * What the browser tests share: Debian's Chromium through playwright-core — where it is, whether a
 * missing one skips or fails, how it is launched, the desktop user agent. The demo app they drive
 * is ./demo-app.ts.
 *
 * A missing Chromium skips the browser tests with a warning on a developer's machine; in CI
 * (`CI` set, as CI services do: `CI=true`) or with `REQUIRE_BROWSER=1` (`.ci/run` sets it) it fails
 * the test file instead.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** shopify-app-remix answers bots (HeadlessChrome's user agent) with 410: browse as a desktop Chrome. */
export const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"];
export const ARTIFACTS = path.join(ROOT, "test-artifacts");
export const LUMA_DIR = path.resolve(ROOT, "../shared/datasets/luma-dev");
export const LUMA_CATALOG = path.join(LUMA_DIR, "catalog.jsonl");

/** True when a missing browser must fail the run: in CI (`CI` set, but not to "false"/"0") or with REQUIRE_BROWSER=1. */
export function browserRequired(env: Record<string, string | undefined> = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
  return ci || env.REQUIRE_BROWSER === "1";
}

/**
 * Whether Chromium is there (for `describe.skipIf(!hasChromium(...))`). When it is missing: throws
 * where a browser is required (the test file fails), else warns that `label` is skipped.
 */
export function hasChromium(label: string, env: Record<string, string | undefined> = process.env, chromiumPath = CHROMIUM): boolean {
  if (existsSync(chromiumPath)) return true;
  if (browserRequired(env)) throw new Error(`Chromium is required (CI / REQUIRE_BROWSER=1) but not found at ${chromiumPath}`);
  console.warn(`[${label}] SKIPPED: Chromium not found at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH).`);
  return false;
}

/** Headless Chromium as every browser test runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
