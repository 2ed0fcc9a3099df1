/**
 * npm run cluster [-- --web 3 --workers 2] [--port 8080] [--database-url postgresql://…] [--catalog file.jsonl] [--no-build]
 *
 * The many-machines topology on one box, from the engines operators run (issue 21): a Redis
 * Cluster (6 local `redis-server --cluster-enabled yes`: 3 masters, 3 replicas), PostgreSQL (the
 * local server; a database `lookalike_cluster` is created and migrated unless --database-url names
 * one), N web processes (server.ts, each with its own DATA_DIR, as separate machines would have),
 * M workers, and HAProxy in front of the web processes with the checked-in config
 * (ops/haproxy/haproxy.cfg: shop affinity, health checks); snapshots shared through the database
 * (SNAPSHOT_STORE=database). Demo mode (LOOKALIKE_DEMO=1), so the
 * demo shop's storefront and admin open through the load balancer; `--catalog` imports a catalog
 * into the demo shop once everything is up.
 *
 * Checks the Debian packages first and says in one line how to install what is missing. Prints the
 * load balancer's URL and every process's pid; SIGINT or SIGTERM stops everything it started.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { readConfig } from "../app/config.server";
import { createPrismaClient } from "../app/db.server";
import { ensureDemoShop } from "../app/demo/demo-shop.server";
import { log, runMain, UserFacingError } from "../app/shared/cli.server";
import { freePort, ROOT, runCli, startProcess, type RunningProcess } from "./lib/app-processes";
import { startHaproxy, type RunningHaproxy } from "./lib/haproxy";
import { RedisCluster } from "./lib/redis-cluster";
import { commandExists, migrateDatabase } from "./setup";

const DEFAULT_DATABASE = "postgresql://root@127.0.0.1:5432/lookalike_cluster";
const DEMO_SECRET = "lookalike-cluster-secret";

/** The Debian packages the topology needs, by the command each provides. */
const PACKAGES: [command: string, pkg: string][] = [
  ["haproxy", "haproxy"],
  ["redis-server", "redis-server"],
  ["redis-cli", "redis-tools"],
];

export function missingPackages(has: (cmd: string) => boolean = commandExists): string[] {
  return PACKAGES.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
}

/** Creates the database when it does not exist (PostgreSQL), then migrates it. */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch {
    throw new UserFacingError(
      `PostgreSQL is not reachable at ${u.host}. Start it (Debian: sudo apt-get install -y postgresql; pg_ctlcluster <version> main start) or pass --database-url.`,
    );
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  await migrateDatabase(url);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const args = parseArgs({
    args: argv,
    options: {
      web: { type: "string", default: "3" },
      workers: { type: "string", default: "2" },
      port: { type: "string" },
      "database-url": { type: "string" },
      catalog: { type: "string" },
      "no-build": { type: "boolean", default: false },
    },
  }).values;
  const webs = Number(args.web);
  const workers = Number(args.workers);
  if (!Number.isInteger(webs) || webs < 1 || webs > 16) throw new UserFacingError("--web must be a whole number from 1 to 16");
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new UserFacingError("--workers must be a whole number from 1 to 16");
  const missing = missingPackages();
  if (missing.length) throw new UserFacingError(`missing Debian packages: ${missing.join(" ")} — install them with: sudo apt-get install -y ${missing.join(" ")}`);

  const databaseUrl = args["database-url"] ?? process.env.CLUSTER_DATABASE_URL ?? DEFAULT_DATABASE;
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UserFacingError("--database-url must be a postgresql:// URL: every node must reach the database");
  await ensureDatabase(databaseUrl);

  if (!args["no-build"]) {
    log("building the web app...");
    const build = spawnSync(process.execPath, [path.join(ROOT, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build", "--logLevel", "error"], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (build.status !== 0) throw new UserFacingError("the build failed (see above)");
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-cluster-"));
  const redis = new RedisCluster();
  const started: RunningProcess[] = [];
  let lb: RunningHaproxy | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await lb?.stop();
      await Promise.all(started.map((p) => p.stop()));
      await redis.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping everything this command started…`);
    void stopAll().then(() => process.exit(0));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    log("starting a Redis Cluster (6 nodes)…");
    await redis.start();
    const lbPort = args.port ? Number(args.port) : await freePort();
    const webPorts = await Promise.all(Array.from({ length: webs }, () => freePort()));
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      LOOKALIKE_DEMO: "1",
      DATABASE_URL: databaseUrl,
      REDIS_CLUSTER_NODES: redis.nodesList,
      SHOPIFY_API_KEY: process.env.SHOPIFY_API_KEY ?? "lookalike-cluster",
      SHOPIFY_API_SECRET: process.env.SHOPIFY_API_SECRET ?? DEMO_SECRET,
      SHOPIFY_APP_URL: `http://127.0.0.1:${lbPort}`,
      LOG_FORMAT: process.env.LOG_FORMAT ?? "pretty",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      METRICS_PORT: "0",
      // A node that takes over a shop loads its snapshot from the database instead of rebuilding it (decision 0016).
      SNAPSHOT_STORE: "database",
    };
    log(`starting ${webs} web process${webs > 1 ? "es" : ""} and ${workers} worker${workers > 1 ? "s" : ""}…`);
    const webProcs = await Promise.all(
      webPorts.map((port, i) => {
        const dataDir = path.join(dir, `web${i + 1}`);
        mkdirSync(dataDir, { recursive: true });
        const env = { ...base, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "info" };
        return startProcess(["--import", "tsx", "server.ts"], env, /listening on http:\/\/localhost/, 120_000);
      }),
    );
    started.push(...webProcs);
    const workerProcs = await Promise.all(
      Array.from({ length: workers }, (_, i) => {
        const dataDir = path.join(dir, `worker${i + 1}`);
        mkdirSync(dataDir, { recursive: true });
        return startProcess(["--import", "tsx", "jobs/worker.ts"], { ...base, DATA_DIR: dataDir, LOG_LEVEL: "info" }, /worker ready/, 120_000);
      }),
    );
    started.push(...workerProcs);
    lb = await startHaproxy(
      lbPort,
      webPorts.map((port, i) => ({ name: `web${i + 1}`, port })),
    );

    const cfg = readConfig(base);
    const db = createPrismaClient(databaseUrl);
    await ensureDemoShop(db, cfg.demoShop, cfg.scopes).finally(() => db.$disconnect());
    if (args.catalog) {
      log(`importing ${args.catalog} into the demo shop ${cfg.demoShop}…`);
      const res = await runCli(["scripts/catalog-import.ts", "--shop", cfg.demoShop, "--file", path.resolve(args.catalog), "--wait"], base, 30 * 60_000);
      if (res.code !== 0) throw new UserFacingError(`the catalog import failed:\n${res.stderr || res.stdout}`);
    }

    const lines = [
      `load balancer (HAProxy, shop affinity): http://127.0.0.1:${lbPort}   pid ${lb.child.pid}`,
      `HAProxy runtime API (add a node without a reload, docs/operations.md): ${lb.socket}`,
      ...webProcs.map((p, i) => `web${i + 1}: http://127.0.0.1:${webPorts[i]}   pid ${p.child.pid}`),
      ...workerProcs.map((p, i) => `worker${i + 1}: pid ${p.child.pid}`),
      ...redis.processes.map((n) => `redis cluster node 127.0.0.1:${n.port}   pid ${n.pid}`),
      `postgresql: ${databaseUrl.replace(/\/\/([^@/]*)@/, "//***@")}`,
      `demo storefront through the load balancer: http://127.0.0.1:${lbPort}/demo`,
      "Ctrl-C stops everything.",
    ];
    for (const l of lines) console.log(`[lookalike] ${l}`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  // Runs until a signal; a process that dies is said at once (HAProxy's health checks route around a web node).
  for (const p of started) p.child.once("exit", (code, signal) => stopping || log(`a process exited (pid ${p.child.pid}, ${signal ?? `code ${code}`})`));
  await new Promise(() => {});
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, "scripts/cluster.ts")) runMain(main);
