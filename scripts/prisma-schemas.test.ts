import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derivePostgresSchema, postgresSchemaPath, sqliteSchemaPath } from "./prisma-schemas";

describe("prisma schemas", () => {
  it("keeps the committed PostgreSQL schema derived from the SQLite source (run `npm run setup` after editing prisma/schema.prisma)", () => {
    expect(readFileSync(postgresSchemaPath, "utf8")).toBe(derivePostgresSchema(readFileSync(sqliteSchemaPath, "utf8")));
  });

  it("changes only the provider and the client output", () => {
    const pg = derivePostgresSchema(readFileSync(sqliteSchemaPath, "utf8"));
    expect(pg).toContain('provider = "postgresql"');
    expect(pg).toContain("client-postgresql");
    expect(pg).not.toContain('provider = "sqlite"');
  });
});
