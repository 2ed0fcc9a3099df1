/**
 * Checks a process' services before it starts serving, so a missing Redis or an unprepared
 * database is one clear sentence with what to do — never a stack trace at the first request.
 */
import { createPrismaClient } from "./db.server";
import { assertDatabaseReady, DatabaseNotReadyError } from "./db/database-setup.server";
import { checkRedis, RedisUnavailableError } from "./redis.server";
import type { AppConfig } from "./config.server";

export async function preflight(cfg: Pick<AppConfig, "redisUrl" | "databaseUrl">): Promise<void> {
  await checkRedis(cfg.redisUrl);
  const db = createPrismaClient(cfg.databaseUrl);
  try {
    await assertDatabaseReady(db, cfg.databaseUrl);
  } finally {
    await db.$disconnect().catch(() => {});
  }
}

/** Runs the preflight; on a known problem prints it and exits with status 2. */
export async function preflightOrExit(cfg: Pick<AppConfig, "redisUrl" | "databaseUrl">): Promise<void> {
  try {
    await preflight(cfg);
  } catch (err) {
    if (err instanceof RedisUnavailableError || err instanceof DatabaseNotReadyError) {
      process.stderr.write(`\nlookalike: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
