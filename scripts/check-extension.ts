/**
 * Checks the Lookalike theme app extension:
 *  1. Shopify theme-check (theme-app-extension config, picked automatically from shopify.extension.toml);
 *  2. gzipped size of every JS asset against the 10 KB storefront budget.
 * Exits non-zero on any theme-check error or budget overrun.
 *
 * Usage: npx tsx scripts/check-extension.ts [extensionDir]
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { themeCheckRun, Severity } from "@shopify/theme-check-node";

const JS_BUDGET_BYTES = 10 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, "..", "extensions", "lookalike-blocks"));

const SEVERITY_NAME: Record<number, string> = {
  [Severity.ERROR]: "error",
  [Severity.WARNING]: "warning",
  [Severity.INFO]: "info",
};

async function runThemeCheck(): Promise<number> {
  console.log(`theme-check: ${root}`);
  const { offenses, theme } = await themeCheckRun(root, undefined, () => {});
  console.log(`  ${theme.length} files checked`);
  for (const o of offenses) {
    const file = o.uri.replace(/^file:\/\//, "").replace(root + "/", "");
    const line = o.start?.line != null ? `:${o.start.line + 1}` : "";
    console.log(`  [${SEVERITY_NAME[o.severity] ?? o.severity}] ${o.check} ${file}${line} — ${o.message}`);
  }
  const errors = offenses.filter((o) => o.severity === Severity.ERROR).length;
  const warnings = offenses.length - errors;
  console.log(`  ${errors} error(s), ${warnings} warning/info offense(s)`);
  return errors;
}

async function checkBudgets(): Promise<number> {
  const assets = path.join(root, "assets");
  const files = (await readdir(assets)).filter((f) => f.endsWith(".js")).sort();
  let over = 0;
  console.log(`JS budget (gzip -9): ${JS_BUDGET_BYTES} B per asset`);
  for (const f of files) {
    const raw = await readFile(path.join(assets, f));
    const gz = gzipSync(raw, { level: 9 }).length;
    const ok = gz <= JS_BUDGET_BYTES;
    if (!ok) over++;
    const pct = ((gz / JS_BUDGET_BYTES) * 100).toFixed(0);
    console.log(`  ${ok ? "ok  " : "OVER"} ${f.padEnd(32)} ${String(raw.length).padStart(7)} B raw  ${String(gz).padStart(6)} B gzip  (${pct}% of budget)`);
  }
  return over;
}

const errors = await runThemeCheck();
const over = await checkBudgets();
if (errors > 0 || over > 0) {
  console.error(`check-extension: FAILED (${errors} theme-check error(s), ${over} asset(s) over budget)`);
  process.exit(1);
}
console.log("check-extension: OK");
