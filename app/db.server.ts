/**
 * The Prisma client for this process. DATABASE_URL picks the database: SQLite file (default) or
 * PostgreSQL. Both go through Prisma driver adapters (no native query engine).
 */
import { createRequire } from "node:module";
import { PrismaClient } from "@prisma/client";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseKind, databaseUrl, sqliteFilePath } from "./db/database-url";

export type Db = PrismaClient;

export function createPrismaClient(url: string = databaseUrl()): Db {
  if (databaseKind(url) === "postgresql") {
    // Generated from prisma/postgresql/schema.prisma: same models, PostgreSQL provider.
    const require = createRequire(import.meta.url);
    const { PrismaClient: PostgresClient } = require(".prisma/client-postgresql") as { PrismaClient: new (opts: unknown) => Db };
    return new PostgresClient({ adapter: new PrismaPg({
      connectionString: url,
      max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
      // A database that does not answer a connect is an error after 5 s, never a request that hangs.
      connectionTimeoutMillis: Number(process.env.DATABASE_CONNECT_TIMEOUT_MS ?? 5_000),
    }) });
  }
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: sqliteFilePath(url), timeout: 10_000 }) });
}

let client: Db | undefined;

/**
 * The process' one client (worker, CLIs; the web process takes it into its composition root,
 * app/web-services.server.ts). Module state, not a global: Vite's dev server re-runs a module only
 * when it or one of its imports changes, and this one imports nothing that changes.
 */
export function db(): Db {
  client ??= createPrismaClient();
  return client;
}
