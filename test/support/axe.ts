/**
 * axe-core in a Playwright page, once its finite animations have ended: the serious and critical
 * violations of the page (or of `include`), each as "rule-id: target, target…" for a readable failure.
 */
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");

interface AxeResult { id: string; impact: string | null; nodes: { target: unknown[] }[] }

export async function seriousViolations(page: Page, include?: string): Promise<string[]> {
  // The settled state, not a frame of a fade-in: colour contrast mid-transition (a panel at 40 %
  // opacity) is not what a shopper reads. Endless animations (loading skeletons) are left running.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity), undefined, { timeout: 5_000 });
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
