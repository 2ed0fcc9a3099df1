/**
 * HAProxy in front of web processes, from the checked-in config (ops/haproxy/haproxy.cfg): its
 * server lines replaced by the given nodes, HAProxy started in the foreground (`-db`) on `bind`.
 * Used by the affinity test and by anything that starts a local topology.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./app-processes";

export const HAPROXY_CONFIG = path.join(ROOT, "ops/haproxy/haproxy.cfg");

export interface WebNode {
  name: string;
  port: number;
}

/** The checked-in config with its `# servers-begin` … `# servers-end` block replaced by `nodes`. */
export function renderHaproxyConfig(nodes: WebNode[], template = readFileSync(HAPROXY_CONFIG, "utf8")): string {
  const block = /( *)# servers-begin\n[\s\S]*?# servers-end\n/;
  const m = block.exec(template);
  if (!m) throw new Error(`${HAPROXY_CONFIG} has no "# servers-begin" … "# servers-end" block`);
  const indent = m[1];
  const lines = nodes.map((n) => `${indent}server ${n.name} 127.0.0.1:${n.port}\n`).join("");
  return template.replace(block, `${indent}# servers-begin\n${lines}${indent}# servers-end\n`);
}

export function haproxyInstalled(): boolean {
  return spawnSync("haproxy", ["-v"], { stdio: "ignore" }).status === 0;
}

export interface RunningHaproxy {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts HAProxy on 127.0.0.1:`port` in front of `nodes`; resolves once it accepts connections. */
export async function startHaproxy(port: number, nodes: WebNode[]): Promise<RunningHaproxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-haproxy-"));
  const cfg = path.join(dir, "haproxy.cfg");
  writeFileSync(cfg, renderHaproxyConfig(nodes));
  const env = { ...process.env, LB_BIND: `127.0.0.1:${port}` };
  const check = spawnSync("haproxy", ["-c", "-f", cfg], { env, encoding: "utf8" });
  if (check.status !== 0) throw new Error(`haproxy refused the config:\n${check.stdout}${check.stderr}`);
  const child = spawn("haproxy", ["-db", "-f", cfg], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}
