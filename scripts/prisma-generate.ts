/**
 * Generates both Prisma clients (SQLite default in @prisma/client, PostgreSQL in
 * .prisma/client-postgresql). Runs as the project's postinstall; safe to run again.
 */
import { runPrisma } from "./lib/prisma-cli";
import { postgresSchemaPath, writePostgresSchema } from "./prisma-schemas";

export function generatePrismaClients(): void {
  writePostgresSchema();
  for (const args of [["generate", "--schema", "prisma/schema.prisma"], ["generate", "--schema", postgresSchemaPath]]) {
    const res = runPrisma([...args, "--no-hints"]);
    if (!res.ok) throw new Error(`prisma ${args.join(" ")} failed:\n${res.output}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  generatePrismaClients();
  console.log("[lookalike] Prisma clients generated (SQLite and PostgreSQL)");
}
