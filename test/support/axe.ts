/**
 * axe-core in a Playwright page: the serious and critical violations of the page (or of `include`),
 * each as "rule-id: target, target…" for a readable failure.
 */
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");

interface AxeResult { id: string; impact: string | null; nodes: { target: unknown[] }[] }

export async function seriousViolations(page: Page, include?: string): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (scope) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeResult[] }> } }).axe;
    const r = await axe.run(scope ? { include: [scope] } : document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, include ?? null);
  return violations
    .filter((v: AxeResult) => v.impact === "serious" || v.impact === "critical")
    .map((v: AxeResult) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
}
