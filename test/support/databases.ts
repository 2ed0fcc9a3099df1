/**
 * Fresh, migrated databases for tests: a SQLite file in a temp folder, or a new PostgreSQL
 * database on TEST_POSTGRES_URL's server (default postgresql://root@127.0.0.1:5432/postgres).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase } from "../../scripts/setup";

export interface TestDatabase {
  kind: "sqlite" | "postgresql";
  url: string;
  drop(): Promise<void>;
}

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://root@127.0.0.1:5432/postgres";

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Kinds the suite runs against: both when PostgreSQL is reachable (required in CI). */
export async function databaseKinds(): Promise<("sqlite" | "postgresql")[]> {
  if (await postgresAvailable()) return ["sqlite", "postgresql"];
  if (process.env.REQUIRE_POSTGRES === "1") throw new Error(`PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable at ${POSTGRES_ADMIN_URL}`);
  console.warn(`[test] PostgreSQL not reachable at ${POSTGRES_ADMIN_URL}: running the database tests on SQLite only`);
  return ["sqlite"];
}

export async function createTestDatabase(kind: "sqlite" | "postgresql"): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-db-"));
    const url = `file:${path.join(dir, "test.db")}`;
    await migrateDatabase(url);
    return { kind, url, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `lookalike_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(POSTGRES_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDatabase(url);
  return {
    kind,
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
