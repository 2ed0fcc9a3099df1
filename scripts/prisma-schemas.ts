/**
 * Derives the PostgreSQL schema from prisma/schema.prisma (the single source of truth, SQLite).
 * Only the datasource provider and the generated client's output folder differ.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const sqliteSchemaPath = join(root, "prisma", "schema.prisma");
export const postgresSchemaPath = join(root, "prisma", "postgresql", "schema.prisma");

export function derivePostgresSchema(source: string): string {
  const out = source
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/url\s*=\s*"file:[^"]*"/, 'url      = "postgresql://localhost/lookalike"')
    .replace(/engineType = "client"\n/, 'engineType = "client"\n  output     = "../../node_modules/.prisma/client-postgresql"\n');
  if (out === source || !out.includes('"postgresql"') || !out.includes("client-postgresql")) {
    throw new Error("prisma/schema.prisma no longer has the expected datasource/generator lines");
  }
  return "// GENERATED from prisma/schema.prisma by scripts/prisma-schemas.ts. Do not edit.\n" + out;
}

export function writePostgresSchema(): string {
  mkdirSync(dirname(postgresSchemaPath), { recursive: true });
  writeFileSync(postgresSchemaPath, derivePostgresSchema(readFileSync(sqliteSchemaPath, "utf8")));
  return postgresSchemaPath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writePostgresSchema());
}
