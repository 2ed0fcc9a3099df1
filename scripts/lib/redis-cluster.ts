/**
 * A real Redis Cluster of the test's own: 6 `redis-server --cluster-enabled yes` processes on free
 * local ports in a temp folder (3 masters, one replica each, nothing saved to disk), joined with
 * `redis-cli --cluster create`, ready once every node says `cluster_state:ok`. `stop()` kills them
 * all and removes the folder. `killMasterOf(key)` SIGKILLs the master serving a key's slot and
 * resolves once its replica has taken the slot over; `restart(port)` brings a killed node back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./app-processes";

interface Node {
  port: number;
  /** The cluster bus port (by default port + 10,000, which would pass 65,535 for a high free port). */
  busPort: number;
  child: ChildProcess;
  output: string;
}

const cli = (port: number, ...args: string[]) => {
  const res = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8", timeout: 10_000 });
  return (res.stdout ?? "") + (res.stderr ?? "");
};

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export class RedisCluster {
  private nodes: Node[] = [];
  private dir = "";

  /** `host:port,…` of every node, as REDIS_CLUSTER_NODES takes them. */
  get nodesList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** Each node's port and process id. */
  get processes(): { port: number; pid: number | undefined }[] {
    return this.nodes.map((n) => ({ port: n.port, pid: n.child.pid }));
  }

  async start(size = 6): Promise<void> {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-redis-cluster-"));
    const used = new Set<number>();
    const port = async () => {
      let p = await freePort();
      while (used.has(p)) p = await freePort();
      used.add(p);
      return p;
    };
    for (let i = 0; i < size; i++) this.nodes.push(this.spawnNode(await port(), await port()));
    await until("every node to accept connections", () => this.nodes.every((n) => /Ready to accept connections/.test(n.output)), 20_000);
    const created = spawnSync("redis-cli", ["--cluster", "create", ...this.nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (created.error) throw new Error(`could not run redis-cli (${created.error.message}); Debian: sudo apt-get install -y redis-tools`);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    await this.waitOk();
  }

  /**
   * Resolves once every live node says cluster_state:ok and every live replica is in sync with its
   * master (a replica that never synced refuses to fail over).
   */
  async waitOk(timeoutMs = 60_000): Promise<void> {
    await until("cluster_state:ok on every node", () => this.live().every((n) => /cluster_state:ok/.test(cli(n.port, "cluster", "info"))), timeoutMs);
    await until(
      "every replica in sync with its master",
      () =>
        this.live().every((n) => {
          const info = cli(n.port, "info", "replication");
          return /role:master/.test(info) || /master_link_status:up/.test(info);
        }),
      timeoutMs,
    );
  }

  /** The port of the master now serving `key`'s slot. */
  masterOf(key: string): number {
    const slot = Number(cli(this.live()[0].port, "cluster", "keyslot", key).trim());
    for (const n of this.live()) {
      const role = cli(n.port, "role").split("\n")[0].trim();
      if (role !== "master") continue;
      if (this.slotsOf(n.port).some(([a, b]) => slot >= a && slot <= b)) return n.port;
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /**
   * SIGKILLs the master of `key`'s slot (`master`: its port, when the caller looked it up already,
   * to kill without a moment's delay); resolves once its replica serves that slot and the cluster is ok.
   */
  async killMasterOf(key: string, master = this.masterOf(key)): Promise<{ killed: number; promoted: number }> {
    const killed = master;
    await this.kill(killed);
    let promoted = 0;
    await until(
      "a replica to take over the killed master's slots",
      () => {
        try {
          promoted = this.masterOf(key);
          return promoted !== killed;
        } catch {
          return false;
        }
      },
      60_000,
    );
    await this.waitOk();
    return { killed, promoted };
  }

  /** SIGKILLs one node (a crash: nothing flushed). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((r) => node.child.once("exit", r));
    node.child.kill("SIGKILL");
    await exited;
  }

  /** Resolves once every replica of the master on `port` has every write the master has now. */
  async waitForReplicas(port: number, timeoutMs = 30_000): Promise<void> {
    const info = cli(port, "info", "replication");
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0);
    await until(
      `the replicas of ${port} at offset ${offset}`,
      () => {
        const replicas = [...cli(port, "info", "replication").matchAll(/^slave\d+:.*state=(\w+),offset=(\d+)/gm)];
        return replicas.length > 0 && replicas.every((m) => m[1] === "online" && Number(m[2]) >= offset);
      },
      timeoutMs,
    );
  }

  /** Whether the node on `port` is a master now. */
  isMaster(port: number): boolean {
    return cli(port, "role").split("\n")[0].trim() === "master";
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.child.exitCode !== null || n.child.signalCode !== null) return resolve();
            n.child.once("exit", () => resolve());
            n.child.kill("SIGKILL");
          }),
      ),
    );
    this.nodes = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = "";
  }

  /**
   * Starts a killed node again on its port with its nodes.conf: it rejoins the cluster (a master
   * that was replaced comes back as a replica of its replacement). Resolves once the cluster is ok.
   */
  async restart(port: number): Promise<void> {
    const i = this.nodes.findIndex((n) => n.port === port);
    if (i < 0) throw new Error(`no node on port ${port}`);
    const node = this.spawnNode(port, this.nodes[i].busPort);
    this.nodes[i] = node;
    await until(`node ${port} to accept connections`, () => /Ready to accept connections/.test(node.output), 20_000);
    await this.waitOk();
  }

  /**
   * Ports of the nodes holding a connection subscribed to a channel (CLIENT LIST's `sub=`), of
   * connections whose name contains `name` when given.
   */
  subscriberNodes(name = ""): number[] {
    return this.live()
      .filter((n) =>
        cli(n.port, "client", "list")
          .split("\n")
          .some((client) => /\bsub=[1-9]/.test(client) && (/\bname=(\S*)/.exec(client)?.[1] ?? "").includes(name)),
      )
      .map((n) => n.port);
  }

  private spawnNode(port: number, busPort: number): Node {
    const child = spawn(
      "redis-server",
      [
        "--port", String(port),
        "--cluster-port", String(busPort),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", path.join(this.dir, `nodes-${port}.conf`),
        "--cluster-node-timeout", "1000",
        "--dir", this.dir,
        "--save", "",
        "--appendonly", "no",
        // A replica's first sync starts at once (the default waits 5 s for more replicas).
        "--repl-diskless-sync-delay", "0",
        "--daemonize", "no",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const node: Node = { port, busPort, child, output: "" };
    child.stdout!.on("data", (d) => (node.output += d));
    child.stderr!.on("data", (d) => (node.output += d));
    return node;
  }

  private live(): Node[] {
    return this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  }

  /** The slot ranges a node serves as master, from its own CLUSTER SLOTS view. */
  private slotsOf(port: number): [number, number][] {
    const myId = cli(port, "cluster", "myid").trim();
    const nodes = cli(port, "cluster", "nodes").split("\n");
    const mine = nodes.find((l) => l.startsWith(myId));
    if (!mine) return [];
    return mine
      .split(" ")
      .slice(8)
      .filter((s) => /^\d+(-\d+)?$/.test(s))
      .map((s) => {
        const [a, b] = s.split("-").map(Number);
        return [a, b ?? a] as [number, number];
      });
  }
}
