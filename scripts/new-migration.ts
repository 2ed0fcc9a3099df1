/**
 * npx tsx scripts/new-migration.ts <name> [--from <git-rev>]
 * After editing prisma/schema.prisma: re-derives the PostgreSQL schema and writes one migration
 * per provider — the SQL diff between the schema at <git-rev> (default HEAD) and the working
 * copy. File to file, offline, like every Prisma call here.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runMain, UserFacingError } from "../app/shared/cli.server";
import { runPrisma } from "./lib/prisma-cli";
import { derivePostgresSchema, postgresSchemaPath, root, sqliteSchemaPath, writePostgresSchema } from "./prisma-schemas";

async function main() {
  const name = process.argv[2];
  const fromIndex = process.argv.indexOf("--from");
  const rev = fromIndex > 0 ? process.argv[fromIndex + 1] : "HEAD";
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new UserFacingError("usage: npx tsx scripts/new-migration.ts <snake_case_name> [--from <git-rev>]");
  writePostgresSchema();
  const old = execFileSync("git", ["show", `${rev}:prisma/schema.prisma`], { cwd: root, encoding: "utf8" });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "mig-"));
  const oldSqlite = path.join(tmp, "old-sqlite.prisma");
  const oldPg = path.join(tmp, "old-pg.prisma");
  writeFileSync(oldSqlite, old);
  writeFileSync(oldPg, derivePostgresSchema(old));
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  for (const [from, to, dir] of [
    [oldSqlite, sqliteSchemaPath, "prisma/migrations"],
    [oldPg, postgresSchemaPath, "prisma/postgresql/migrations"],
  ] as const) {
    // A diff of two schema files needs no database, but the CLI opens the configured adapter's
    // anyway: give it a scratch SQLite file so a checkout without data/ (or a PostgreSQL URL) works.
    const env = { ...process.env, DATABASE_URL: `file:${path.join(tmp, "scratch.db")}` };
    const res = runPrisma(["migrate", "diff", "--from-schema-datamodel", from, "--to-schema-datamodel", to, "--script"], env);
    if (!res.ok) throw new Error(res.output);
    const sql = res.output.split("\n").filter((l) => !/^(Loaded Prisma config|Prisma config detected)/.test(l)).join("\n").trim();
    if (!sql || /empty migration/i.test(sql)) throw new UserFacingError(`no schema change since ${rev}`);
    const target = path.join(root, dir, `${stamp}_${name}`);
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, "migration.sql"), sql + "\n");
    console.log(path.relative(root, path.join(target, "migration.sql")));
  }
}

runMain(main);
