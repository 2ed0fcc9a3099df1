/**
 * `npm run cluster` (issue 21): the whole topology on one box — a Redis Cluster, PostgreSQL, web
 * processes behind HAProxy, workers — from one command that prints the load balancer's URL and
 * every pid, and stops everything it started on SIGTERM. A missing Debian package is one line.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/lib/app-processes";
import { haproxyCommand, haproxyInstalled } from "../scripts/lib/haproxy";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const required = process.env.CI === "true" || process.env.REQUIRE_HAPROXY === "1";
const available = haproxyInstalled() && spawnSync("sh", ["-c", "command -v redis-cli"]).status === 0;
if (required && !available) throw new Error("haproxy and redis-cli must be installed (CI installs them in .ci/run)");
const POSTGRES_REQUIRED = process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm run cluster", () => {
  let database: TestDatabase | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await database?.drop();
  });

  it("names the Debian packages it misses in one line, and how to install them", () => {
    const res = spawnSync(process.execPath, ["--import", "tsx", "scripts/cluster.ts", "--no-build"], {
      cwd: ROOT,
      env: { ...process.env, PATH: "/nonexistent" },
      encoding: "utf8",
    });
    expect(res.status).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/missing Debian packages: haproxy redis-server redis-tools — install them with: sudo apt-get install -y haproxy redis-server redis-tools/);
  });

  it.skipIf(!available)(
    "starts HAProxy, 2 web processes, a worker and a Redis Cluster on PostgreSQL; SIGTERM stops them all",
    async () => {
      try {
        database = await createTestDatabase("postgresql");
      } catch (err) {
        if (POSTGRES_REQUIRED) throw err;
        return; // no PostgreSQL on this machine (CI requires it)
      }
      child = spawn(process.execPath, ["--import", "tsx", "scripts/cluster.ts", "--web", "2", "--workers", "1", "--no-build", "--database-url", database.url], {
        cwd: ROOT,
        env: { ...process.env, LOG_FORMAT: "pretty" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const deadline = Date.now() + 150_000;
      while (!/Ctrl-C stops everything/.test(out)) {
        if (child.exitCode !== null) throw new Error(`npm run cluster exited ${child.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`npm run cluster did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const lb = /load balancer \(HAProxy, shop affinity\): (http:\/\/127\.0\.0\.1:\d+)\s+pid (\d+)/.exec(out)!;
      expect(lb, out).toBeTruthy();
      const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      expect(pids.length).toBe(1 + 2 + 1 + 6); // HAProxy, 2 web, 1 worker, 6 Redis Cluster nodes
      expect(pids.every(alive)).toBe(true);

      const health = await fetch(`${lb[1]}/healthz?shop=one.myshopify.com`);
      expect(health.status).toBe(200);
      expect(health.headers.get("x-lookalike-node")).toMatch(/^web[12]$/);
      const ready = await fetch(`${lb[1]}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
      const nodes = new Set<string>();
      for (let i = 0; i < 40; i++) nodes.add((await fetch(`${lb[1]}/healthz?shop=s${i}.myshopify.com`)).headers.get("x-lookalike-node") ?? "");
      expect(nodes).toEqual(new Set(["web1", "web2"])); // shops spread over both nodes
      // The runtime API it prints answers: the operator's way to add a node without a reload.
      const socket = /HAProxy runtime API \(add a node without a reload, docs\/operations\.md\): (\S+)/.exec(out);
      expect(socket, out).toBeTruthy();
      const state = await haproxyCommand(socket![1], "show servers state web");
      expect([...state.matchAll(/^\d+ web \d+ (web\d+) /gm)].map((m) => m[1])).toEqual(["web1", "web2"]);

      const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await expect.poll(() => pids.filter(alive), { timeout: 15_000 }).toEqual([]);
    },
    240_000,
  );
});
