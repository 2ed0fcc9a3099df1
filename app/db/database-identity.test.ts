import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { databaseLocation, databaseTag } from "./database-identity";

const dir = mkdtempSync(path.join(os.tmpdir(), "lookalike-dbid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("databaseTag", () => {
  it("differs between two SQLite files (two clones of the project)", () => {
    expect(databaseTag("file:./data/lookalike.db", "/home/a/lookalike")).not.toBe(databaseTag("file:./data/lookalike.db", "/home/b/lookalike"));
  });

  it("is the same for every spelling of one SQLite file: relative, absolute, through a symlink", () => {
    writeFileSync(path.join(dir, "x.db"), "");
    symlinkSync(dir, path.join(dir, "link"));
    const tag = databaseTag(`file:${path.join(dir, "x.db")}`);
    expect(databaseTag("file:./x.db", dir)).toBe(tag);
    expect(databaseTag("file:./link/x.db", dir)).toBe(tag);
    expect(databaseTag(`file:${path.join(dir, "x.db")}?connection_limit=1`)).toBe(tag);
  });

  it("names a PostgreSQL database by host, port and name, not by credentials or loopback spelling", () => {
    const a = databaseTag("postgresql://root@127.0.0.1:5432/shop_a");
    expect(databaseTag("postgres://other:secret@localhost/shop_a?sslmode=disable")).toBe(a);
    expect(databaseTag("postgresql://root@127.0.0.1:5432/shop_b")).not.toBe(a);
    expect(databaseTag("postgresql://root@db.internal:5432/shop_a")).not.toBe(a);
    expect(databaseLocation("postgresql://root@127.0.0.1/shop_a")).toBe("postgresql://localhost:5432/shop_a");
  });
});
