/**
 * Prisma CLI configuration. Migrations run through the JS/WASM schema engine and a driver adapter,
 * so no native engine is downloaded (see ../shared/ENVIRONMENT.md). DATABASE_URL chooses the
 * database: a postgres:// URL → PostgreSQL, anything else (default file:./data/lookalike.db) → SQLite.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { databaseKind, databaseUrl, sqliteFilePath } from "./app/db/database-url";

const url = databaseUrl();
const kind = databaseKind(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: kind === "postgresql" ? path.join("prisma", "postgresql", "schema.prisma") : path.join("prisma", "schema.prisma"),
  async adapter() {
    if (kind === "postgresql") {
      const { postgresMigrateAdapter } = await import("./app/db/pg-migrate-adapter");
      return postgresMigrateAdapter(url);
    }
    const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
    return new PrismaBetterSQLite3({ url: sqliteFilePath(url) });
  },
});
