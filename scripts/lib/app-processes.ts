/**
 * Runs the real processes for integration tests: the web server (server.ts over the production
 * build, as `npm run start`) and the BullMQ worker (`npm run worker`), on a test database,
 * a test Redis namespace and a temp data folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { redisAddressFromEnv } from "../../app/redis-address";
import { deleteNamespaceKeys } from "./redis-keys";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TEST_API_KEY = "test-api-key";
export const TEST_API_SECRET = "test-api-secret-0123456789";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface AppEnv {
  env: NodeJS.ProcessEnv;
  port: number;
  baseUrl: string;
  dataDir: string;
  /** Removes the data folder and every Redis key of the run's namespace (queues, caches, limits). */
  cleanup(): Promise<void>;
}

export async function appEnv(databaseUrl: string, extra: Record<string, string | undefined> = {}): Promise<AppEnv> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lookalike-data-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    REDIS_NAMESPACE: `lookalike-test-${process.pid}-${port}`,
    DATA_DIR: dataDir,
    MODELS_DIR: process.env.MODELS_DIR ?? path.join(ROOT, "models"),
    SHOPIFY_API_KEY: TEST_API_KEY,
    SHOPIFY_API_SECRET: TEST_API_SECRET,
    SHOPIFY_APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    LOOKALIKE_DEMO: "0",
    // No metrics listeners unless a test asks (the defaults 9463/9464 would collide between tests).
    METRICS_PORT: "0",
    WORKER_METRICS_PORT: "0",
    // The processes' pipes are no terminal, so they would log JSON: tests read their output as a
    // developer would (one line a message, `[lookalike] …`); a test about the JSON lines asks for them.
    LOG_FORMAT: "pretty",
    ...extra,
  };
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await deleteNamespaceKeys(redisAddressFromEnv(env), env.REDIS_NAMESPACE!);
  };
  return { env, port, baseUrl: `http://127.0.0.1:${port}`, dataDir, cleanup };
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `node <args>` and resolves once its output matches `readyPattern`. */
export function startProcess(args: string[], env: NodeJS.ProcessEnv, readyPattern: RegExp, timeoutMs = 300_000): Promise<RunningProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const proc: RunningProcess = {
    child,
    output: () => out,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not become ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (readyPattern.test(out)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before becoming ready:\n${out}`));
    });
  });
}

export function startWeb(app: AppEnv): Promise<RunningProcess> {
  const server = path.join(ROOT, "build/server/index.js");
  if (!existsSync(server)) throw new Error("no production build: run `npm run build` first (npm test does)");
  return startProcess(["--import", "tsx", path.join(ROOT, "server.ts")], app.env, /listening on http:\/\/localhost/, 30_000);
}

export function startWorker(app: AppEnv): Promise<RunningProcess> {
  // `node --import tsx` runs the worker in this one process (the tsx CLI would add a wrapper
  // process, and a SIGKILL sent to the wrapper would leave the real worker running).
  return startProcess(["--import", "tsx", "jobs/worker.ts"], app.env, /worker ready/, 60_000);
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`timed out: ${args.join(" ")}\n${stderr}`))), timeoutMs);
    child.on("exit", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}
