/**
 * ops/grafana/lookalike.json: a Grafana dashboard whose every query names only the agreed metrics
 * (app/ops/metric-names.ts), on the `${DS_PROMETHEUS}` datasource variable, and which shows every
 * agreed metric somewhere. A renamed metric fails here instead of leaving a blank panel.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALL_METRIC_NAMES, isKnownSeries, METRIC_LABEL_VALUES } from "./metric-names";

// Debian's prometheus package; .ci/run installs it (REQUIRE_PROMETHEUS=1 there: absent fails instead of skipping).
const PROMTOOL = process.env.PROMTOOL_PATH ?? "/usr/bin/promtool";
const HAS_PROMTOOL = existsSync(PROMTOOL);
if (!HAS_PROMTOOL && process.env.REQUIRE_PROMETHEUS === "1") throw new Error(`promtool is required (REQUIRE_PROMETHEUS=1) but not found at ${PROMTOOL}`);
if (!HAS_PROMTOOL) console.warn(`[grafana dashboard test] PromQL syntax check SKIPPED: no promtool at ${PROMTOOL}`);

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ops/grafana/lookalike.json");

/** PromQL functions and aggregation operators (prometheus.io/docs/prometheus/latest/querying/functions). */
const FUNCTIONS = new Set([
  "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
  "count", "count_over_time", "count_values", "delta", "deriv", "exp", "floor", "group", "histogram_quantile", "idelta", "increase",
  "irate", "label_join", "label_replace", "ln", "log2", "log10", "max", "max_over_time", "min", "min_over_time", "predict_linear",
  "quantile", "quantile_over_time", "rate", "resets", "round", "scalar", "sort", "sort_desc", "stddev", "stdvar", "sum",
  "sum_over_time", "time", "timestamp", "topk", "vector", "last_over_time",
]);
const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

/** The series names an expression reads, and the functions it calls that PromQL does not have. */
export function seriesIn(expr: string): { series: string[]; unknownFunctions: string[] } {
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^{}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // range selectors and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1"); // label lists
  e = e.replace(/\$\{?[A-Za-z_]\w*\}?/g, " "); // dashboard variables
  const series: string[] = [];
  const unknownFunctions: string[] = [];
  // A name followed by "(" (or an aggregation's "by"/"without") is a function; any other is a series.
  for (const m of e.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*(?:\(|(?:by|without)\b))?/g)) {
    const [, name, call] = m;
    if (/^\d/.test(name) || KEYWORDS.has(name.toLowerCase())) continue;
    if (call) {
      if (!FUNCTIONS.has(name)) unknownFunctions.push(name);
    } else series.push(name);
  }
  return { series, unknownFunctions };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${p.title} › ${t.refId}`, expr: t.expr }))),
  // label_values(metric, label) in the variables reads a series too.
  ...dashboard.templating.list
    .filter((v) => v.type === "query")
    .map((v) => ({ where: `variable ${v.name}`, expr: String(typeof v.query === "string" ? v.query : (v.query as { query: string }).query).replace(/^label_values\((.*),\s*\w+\)$/, "$1") })),
];

describe("ops/grafana/lookalike.json", () => {
  it("is a Grafana dashboard: uid, title, schema version, unique panel ids, panels on the 24-column grid", () => {
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(["row", "timeseries", "stat", "gauge", "bargauge", "table"], p.title).toContain(p.type);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, p.title).toBeGreaterThan(0);
    }
    // No two panels on the same cells (Grafana would push one down, out of its row).
    const cells = new Map<string, string>();
    for (const p of panels) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `${p.title} overlaps ${other}`).toBeUndefined();
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
  });

  it("queries Prometheus through the ${DS_PROMETHEUS} datasource variable only", () => {
    const ds = dashboard.templating.list.find((v) => v.name === "DS_PROMETHEUS");
    expect(ds).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const p of panels.filter((p) => p.type !== "row")) {
      expect(p.datasource?.uid, p.title).toBe("${DS_PROMETHEUS}");
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource?.uid ?? p.datasource?.uid, `${p.title} › ${t.refId}`).toBe("${DS_PROMETHEUS}");
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === "query")) expect(v.datasource?.uid, v.name).toBe("${DS_PROMETHEUS}");
  });

  it("every query reads only the agreed metric names, with PromQL's own functions", () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      const { series, unknownFunctions } = seriesIn(q.expr);
      expect(series.length, `${q.where}: no metric in ${q.expr}`).toBeGreaterThan(0);
      expect(series.filter((s) => !isKnownSeries(s)), `${q.where}: ${q.expr}`).toEqual([]);
      expect(unknownFunctions, `${q.where}: ${q.expr}`).toEqual([]);
    }
  });

  it.skipIf(!HAS_PROMTOOL)("every query is valid PromQL (promtool parses each as a recording rule)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-promql-"));
    try {
      const rules = (exprs: { where: string; expr: string }[]) => {
        const file = path.join(dir, "rules.yml");
        // JSON is YAML; dashboard variables become what Grafana would put there.
        const rules = exprs.map((q, i) => ({ record: `lookalike:dashboard_query_${i}`, expr: q.expr.replace(/\$route/g, ".*") }));
        writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
        return file;
      };
      const check = (file: string) => {
        try {
          execFileSync(PROMTOOL, ["check", "rules", file], { stdio: "pipe" });
          return "";
        } catch (err) {
          const e = err as { stdout?: Buffer; stderr?: Buffer };
          return `${e.stdout ?? ""}${e.stderr ?? ""}` || String(err);
        }
      };
      expect(check(rules(queries))).toBe("");
      // And it does refuse a broken one.
      expect(check(rules([{ where: "broken", expr: "sum(rate(lookalike_live_shops[5m])" }]))).toMatch(/unclosed|parse|error/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("matches only the agreed label values (status_class, layer, state, outcome)", () => {
    const allowed = METRIC_LABEL_VALUES as Record<string, readonly string[]>;
    const bad: string[] = [];
    let seen = 0;
    for (const q of queries) {
      for (const [, label, op, value] of q.expr.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
        if (!allowed[label]) continue;
        seen++;
        // Equality names one value; a regex here is always an alternation of plain values.
        const values = op === "=" || op === "!=" ? [value] : value.split("|");
        for (const v of values) if (!allowed[label].includes(v)) bad.push(`${q.where}: ${label}${op}"${value}"`);
      }
    }
    expect(seen).toBeGreaterThan(3);
    expect(bad).toEqual([]);
  });

  it("shows every agreed metric in some panel", () => {
    const used = new Set(queries.flatMap((q) => seriesIn(q.expr).series.map((s) => s.replace(/_(bucket|sum|count)$/, ""))));
    expect(ALL_METRIC_NAMES.filter((m) => !used.has(m))).toEqual([]);
  });

  it("the check itself catches an unknown metric, a misspelt histogram series and an unknown function", () => {
    const check = (expr: string) => {
      const { series, unknownFunctions } = seriesIn(expr);
      return [...series.filter((s) => !isKnownSeries(s)), ...unknownFunctions];
    };
    expect(check('sum by (le, route) (rate(lookalike_http_request_duration_seconds_bucket{route=~"$route", status_class="5xx"}[5m]))')).toEqual([]);
    expect(check("sum(rate(lookalike_embed_jobs_totals[5m]))")).toEqual(["lookalike_embed_jobs_totals"]);
    expect(check("rate(lookalike_live_shops_bucket[5m])")).toEqual(["lookalike_live_shops_bucket"]);
    expect(check("max by (queue) (lookalike_queue_jobs) / on (queue) group_left lookalike_queue_depth")).toEqual(["lookalike_queue_depth"]);
    expect(check("histogram_quantil(0.99, lookalike_embed_job_duration_seconds_bucket)")).toEqual(["histogram_quantil"]);
  });
});
