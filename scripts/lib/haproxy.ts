/**
 * HAProxy in front of web processes, from the checked-in config (ops/haproxy/haproxy.cfg): its
 * server lines replaced by the given nodes, HAProxy started in the foreground (`-db`) on `bind`,
 * its runtime API on a socket of its own temp folder (`runtime()`, `addServer()`: a node joins
 * without a reload). Used by the affinity test, the fault runs and `npm run cluster`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./app-processes";

export const HAPROXY_CONFIG = path.join(ROOT, "ops/haproxy/haproxy.cfg");

export interface WebNode {
  name: string;
  port: number;
}

/** The backends that hold the web nodes: `web` (ready nodes) and `web_live` (live ones, used while none is ready). */
export const WEB_BACKENDS = ["web", "web_live"] as const;

/** The checked-in config with each `# servers-begin` … `# servers-end` block (one per backend) replaced by `nodes`. */
export function renderHaproxyConfig(nodes: WebNode[], template = readFileSync(HAPROXY_CONFIG, "utf8")): string {
  const block = /( *)# servers-begin\n[\s\S]*?# servers-end\n/g;
  if (!block.test(template)) throw new Error(`${HAPROXY_CONFIG} has no "# servers-begin" … "# servers-end" block`);
  return template.replace(block, (_, indent: string) => {
    const lines = nodes.map((n) => `${indent}server ${n.name} 127.0.0.1:${n.port}\n`).join("");
    return `${indent}# servers-begin\n${lines}${indent}# servers-end\n`;
  });
}

export function haproxyInstalled(): boolean {
  return spawnSync("haproxy", ["-v"], { stdio: "ignore" }).status === 0;
}

/** The `default-server` options of the config's `web` backend (`check inter 1s fall 2 rise 2`). */
export function defaultServerOptions(config: string): string {
  const m = /^\s*default-server\s+(.+)$/m.exec(config);
  if (!m) throw new Error(`${HAPROXY_CONFIG} has no default-server line`);
  return m[1].trim();
}

/** One command on HAProxy's runtime API (its stats socket); resolves with HAProxy's answer. */
export function haproxyCommand(socket: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    let out = "";
    conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`haproxy runtime API: no answer to "${command}" within ${timeoutMs} ms`)));
    conn.on("connect", () => conn.end(`${command}\n`));
    conn.on("data", (d) => (out += d));
    conn.on("error", reject);
    conn.on("close", () => resolve(out));
  });
}

export interface RunningHaproxy {
  child: ChildProcess;
  /** The runtime API's socket (LB_ADMIN_SOCKET). */
  socket: string;
  output(): string;
  /** One runtime API command. */
  runtime(command: string): Promise<string>;
  /**
   * Adds a web node to the web backends while HAProxy runs (runtime API, no reload): `add server`
   * with the config's default-server options (dynamic servers do not inherit them), its health
   * checks enabled, then the server (added servers start in maintenance). Its shops (~1/N of the
   * ring) move to it once its checks pass (`rise`).
   */
  addServer(node: WebNode): Promise<void>;
  stop(): Promise<void>;
}

/** Starts HAProxy on 127.0.0.1:`port` in front of `nodes`; resolves once it accepts connections. */
export async function startHaproxy(port: number, nodes: WebNode[]): Promise<RunningHaproxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-haproxy-"));
  const cfg = path.join(dir, "haproxy.cfg");
  const config = renderHaproxyConfig(nodes);
  writeFileSync(cfg, config);
  const socket = path.join(dir, "admin.sock");
  const env = { ...process.env, LB_BIND: `127.0.0.1:${port}`, LB_ADMIN_SOCKET: socket };
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
  const runtime = (command: string) => haproxyCommand(socket, command);
  return {
    child,
    socket,
    output: () => out,
    runtime,
    addServer: async (node) => {
      for (const backend of WEB_BACKENDS) {
        const server = `${backend}/${node.name}`;
        const added = await runtime(`add server ${server} 127.0.0.1:${node.port} ${defaultServerOptions(config)}`);
        if (!/New server registered/.test(added)) throw new Error(`haproxy refused to add ${server}: ${added.trim()}`);
        for (const command of [`enable health ${server}`, `enable server ${server}`]) {
          const answer = (await runtime(command)).trim();
          if (answer) throw new Error(`haproxy: "${command}" answered ${answer}`);
        }
      }
    },
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
