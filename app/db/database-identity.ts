/**
 * Which database a process works on, as a short tag that the Redis queue prefix carries
 * (app/queues/queues.server.ts › queuePrefix). Two databases sharing one Redis — two clones of the
 * project, a test run beside the demo — would otherwise share queues: equal shop and product ids
 * make equal job ids (the second database's job is swallowed by the first's finished one), and a
 * worker of one database takes the other's jobs and embeds its own rows instead.
 *
 * The tag is derived from DATABASE_URL without a round trip, so every producer can build its queues
 * synchronously: a SQLite file by its real absolute path (two clones differ; `./data/x.db` and an
 * absolute spelling of the same file agree), a PostgreSQL database by host, port and database name
 * (user, password and parameters left out; `localhost`, `127.0.0.1` and `::1` are one host).
 * Processes of one deployment must therefore name the database server by the same host.
 */
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import path from "node:path";
import { databaseKind, databaseUrl, sqliteFilePath } from "./database-url";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** The database's location, spelled one way for every spelling of its URL. */
export function databaseLocation(url: string = databaseUrl(), cwd: string = process.cwd()): string {
  if (databaseKind(url) === "postgresql") {
    const u = new URL(url.replace(/^postgres:/i, "postgresql:"));
    const host = u.hostname.toLowerCase();
    const name = decodeURIComponent(u.pathname.replace(/^\//, "")) || decodeURIComponent(u.username) || "postgres";
    return `postgresql://${LOOPBACK.has(host) ? "localhost" : host}:${u.port || "5432"}/${name}`;
  }
  const file = sqliteFilePath(url, cwd);
  if (file === ":memory:") return `sqlite::memory:${process.pid}`;
  return `sqlite:${realPathOf(file)}`;
}

/** Real path of a file that may not exist yet: its folder's real path (symlinks resolved) + its name. */
function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return file;
    }
  }
}

/** A 10-hex-digit tag of the database's location (what the queue prefix carries). */
export function databaseTag(url: string = databaseUrl(), cwd: string = process.cwd()): string {
  return createHash("sha256").update(databaseLocation(url, cwd)).digest("hex").slice(0, 10);
}
