/**
 * Hostile-mix load run (issue: hostile traffic): normal storefront load, first quiet, then beside
 * oversized and chunked bodies to every body-reading route, slow uploads, event floods with invented
 * ids and without forwarded headers, and cache-key spraying. Prints the figures and whether each
 * target is met; exit 1 when one is not.
 *
 *   npx tsx scripts/hostile-mix.ts [--seconds 60] [--n 2000] [--rate 40] [--web-env EVENT_LOOP_STATS_MS=5000]
 *        [--web-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]   (node flags for the web process only)
 *
 * Needs a production build (`npm run build`) and `redis-server` on the PATH (the run starts its own).
 */
import { runHostileMix } from "./lib/hostile-mix";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
// --web-env KEY=VALUE[,KEY=VALUE]: extra environment for the web process and the worker (e.g. EVENT_LOOP_STATS_MS=5000).
const webEnv = Object.fromEntries(
  arg("web-env", "")
    .split(",")
    .filter(Boolean)
    .map((kv) => kv.split("=") as [string, string]),
);
const webNodeArgs = arg("web-node-args", "").split(" ").filter(Boolean);
const result = await runHostileMix({ seconds: Number(arg("seconds", "60")), n: Number(arg("n", "2000")), rate: Number(arg("rate", "40")), webEnv, webNodeArgs });
const line = (name: string, f: typeof result.quiet) =>
  `  ${name.padEnd(8)} similar ${f.similar.count} requests p50 ${f.similar.p50} ms p99 ${f.similar.p99} ms ${JSON.stringify(f.similar.statuses)}; photo ${f.photo.answered}/${f.photo.count} answered ${JSON.stringify(f.photo.statuses)}`;
console.log(line("quiet", result.quiet));
console.log(line("hostile", result.hostile));
// When the slowest 1 % were sent: a stall at the start of the attacks, or spread over the phase.
const slowest = (f: typeof result.quiet) => f.slowest.map(([at, ms]) => `${at}s:${Math.round(ms)}`).join(" ");
console.log(`  slowest 1 %, quiet   (sent at s: ms): ${slowest(result.quiet)}`);
console.log(`  slowest 1 %, hostile (sent at s: ms): ${slowest(result.hostile)}`);
const requests = Object.values(result.attacks.statuses).reduce((a, s) => a + Object.values(s).reduce((x, y) => x + y, 0), 0);
console.log(`  attacks: ${requests} requests, attacker CPU ${result.attacks.cpuSeconds?.toFixed(1)} s; ${JSON.stringify(result.attacks.statuses)}`);
const sent = result.attacks.oversizedBytesSent;
console.log(`  oversized bodies: ${sent.length}, the most any got written before the answer ${(Math.max(0, ...sent) / 2 ** 20).toFixed(1)} MB`);
const held = result.attacks.slowHeldMs;
console.log(`  slow uploads answered: ${held.length}, held at most ${(Math.max(0, ...held) / 1000).toFixed(1)} s`);
if (result.webLog) for (const l of result.webLog.split("\n").filter((l) => /event-loop/.test(l))) console.log(`  web: ${l}`);
for (const c of result.checks) console.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
console.log(`BENCH_JSON ${JSON.stringify(result)}`);
process.exit(result.checks.every((c) => c.ok) ? 0 : 1);
