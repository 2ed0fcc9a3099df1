/**
 * npm run setup — prepares this machine to run Lookalike, idempotently:
 * Prisma clients, database migrations (DATABASE_URL: SQLite file by default, or PostgreSQL),
 * Redis (starts a local redis-server when one is installed but not running), and the image model
 * (copied from MODELS_MIRROR or downloaded, SHA-256 checked; else the colour fallback, said so),
 * plus the optional model pack (CLIP / MiniLM) that TEXT_MODEL / IMAGE_MODEL select, if any.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { config } from "../app/config.server";
import { databaseKind, sqliteFilePath } from "../app/db/database-url";
import { redact } from "../app/db/database-setup.server";
import { PACK_OF_CHOICE } from "../app/embedding/models/model-choice";
import { ensureImageModel, installModelPack } from "../app/embedding/models/model-files.server";
import { checkRedis, RedisUnavailableError, redisHowTo } from "../app/redis.server";
import { clusterNodesOf } from "../app/redis-address";
import { log, runMain, UserFacingError } from "../app/shared/cli.server";
import { runPrisma } from "./lib/prisma-cli";
import { generatePrismaClients } from "./prisma-generate";

export async function migrateDatabase(url: string): Promise<void> {
  if (databaseKind(url) === "sqlite") mkdirSync(path.dirname(sqliteFilePath(url)), { recursive: true });
  const res = runPrisma(["migrate", "deploy"], { ...process.env, DATABASE_URL: url });
  if (!res.ok) {
    const reason = res.output.split("\n").find((l) => /error/i.test(l)) ?? res.output.trim().split("\n").pop();
    throw new UserFacingError(`database migration failed for ${redact(url)}: ${reason}\n(check DATABASE_URL; for PostgreSQL the database must exist: createdb <name>)`);
  }
}

/** Whether `cmd` is on the PATH. */
export function commandExists(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

export async function ensureRedis(url: string): Promise<string> {
  try {
    await checkRedis(url);
    return `Redis reachable at ${url}`;
  } catch (err) {
    if (!(err instanceof RedisUnavailableError)) throw err;
    // A Redis Cluster is the operator's to start: setup never starts one.
    if (clusterNodesOf(url)) throw new UserFacingError(err.message);
  }
  const u = new URL(url);
  const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(u.hostname);
  if (local && commandExists("redis-server")) {
    const port = u.port || "6379";
    log(`Redis not running at ${url}; starting a local redis-server on port ${port}`);
    spawnSync("redis-server", ["--daemonize", "yes", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (let i = 0; i < 20; i++) {
      try {
        await checkRedis(url, 500);
        return `started redis-server on port ${port}`;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  }
  throw new UserFacingError(redisHowTo(url));
}

export async function setup(): Promise<{ model: string; modelReady: boolean }> {
  const cfg = config();
  generatePrismaClients();
  log("Prisma clients generated");
  await migrateDatabase(cfg.databaseUrl);
  log(`database ready (${databaseKind(cfg.databaseUrl)}: ${redact(cfg.databaseUrl)})`);
  mkdirSync(cfg.dataDir, { recursive: true });
  log(await ensureRedis(cfg.redisUrl));
  const model = await ensureImageModel({ modelsDir: cfg.modelsDir, mirrorDir: cfg.modelsMirror, allowDownload: process.env.MODELS_DOWNLOAD !== "0", log });
  log(model.status === "ready" ? `image model: ${model.message}` : `image model: ${model.message}`);
  const packs = new Set([PACK_OF_CHOICE[cfg.textModel], PACK_OF_CHOICE[cfg.imageModel]].filter((p): p is string => !!p));
  for (const pack of packs) {
    const r = await installModelPack(pack, { modelsDir: cfg.modelsDir, mirrorDir: cfg.modelsMirror, allowDownload: process.env.MODELS_DOWNLOAD !== "0", log });
    log(`optional model ${pack}: ${r.message}${r.status === "ready" ? "" : " The default model is used meanwhile."}`);
  }
  return { model: model.modelId, modelReady: model.status === "ready" };
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(setup);
