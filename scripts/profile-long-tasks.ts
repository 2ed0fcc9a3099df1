/**
 * Reads a V8 CPU profile (node --cpu-prof, e.g. `scripts/soak.ts --cpu-prof DIR`) and lists the
 * main thread's long tasks: stretches of consecutive samples with no idle sample between them.
 * For each task over --min-ms: when it started (seconds into the profile), how long it ran, and
 * the functions that took its time (self time, and the deepest own frames of the stack).
 *
 *   npx tsx scripts/profile-long-tasks.ts PROFILE.cpuprofile [--min-ms 80] [--top 5] [--skip-s 0]
 *
 * A task's wall time includes time the thread waited for a core (a sample is taken by wall clock):
 * read it with the soak's "waiting for a core" figure.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--") && !/^\d/.test(a));
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
if (!file) {
  console.error("usage: npx tsx scripts/profile-long-tasks.ts PROFILE.cpuprofile [--min-ms 80] [--top 5] [--skip-s 0]");
  process.exit(2);
}
const minMs = opt("min-ms", 80);
const top = opt("top", 5);
const skipS = opt("skip-s", 0);

const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const IDLE = new Set(["(idle)"]);
const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/)?/, "")}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
};
/** The innermost frame of the stack that is our code (app/, jobs/, scripts/), else the leaf. */
const ownFrame = (id: number): string => {
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (/\/(app|jobs|scripts|build\/server)\//.test(n.callFrame.url) && !n.callFrame.url.includes("node_modules")) return label(n);
  }
  return label(byId.get(id)!);
};

interface Task {
  start: number;
  ms: number;
  self: Map<string, number>;
  own: Map<string, number>;
}
const tasks: Task[] = [];
let t = profile.startTime;
let cur: Task | null = null;
const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
for (let i = 0; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  t += profile.timeDeltas[i] ?? 0;
  const node = byId.get(profile.samples[i])!;
  const idle = IDLE.has(node.callFrame.functionName);
  if (idle) {
    if (cur) tasks.push(cur);
    cur = null;
    continue;
  }
  cur ??= { start: (t - profile.startTime) / 1e6, ms: 0, self: new Map(), own: new Map() };
  cur.ms += dt;
  bump(cur.self, label(node), dt);
  bump(cur.own, ownFrame(node.id), dt);
}
if (cur) tasks.push(cur);

const long = tasks.filter((k) => k.ms >= minMs && k.start >= skipS);
const total = (profile.endTime - profile.startTime) / 1e6;
const busy = tasks.reduce((s, k) => s + k.ms, 0) / 1000;
console.log(`${file}: ${total.toFixed(0)} s profiled, ${busy.toFixed(0)} s busy, ${tasks.length} tasks, ${long.length} of ≥ ${minMs} ms (after ${skipS} s)`);
const fmt = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${v.toFixed(0)} ms ${k}`)
    .join("; ");
for (const k of long) {
  console.log(`\n@${k.start.toFixed(1)} s  ${k.ms.toFixed(0)} ms`);
  console.log(`  self: ${fmt(k.self)}`);
  console.log(`  own code: ${fmt(k.own)}`);
}
