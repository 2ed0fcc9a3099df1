/** Which database DATABASE_URL points at. Shared by the Prisma CLI config and the app. */
import path from "node:path";

export type DatabaseKind = "sqlite" | "postgresql";

export const DEFAULT_DATABASE_URL = "file:./data/lookalike.db";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

export function databaseKind(url: string): DatabaseKind {
  return /^postgres(ql)?:\/\//i.test(url) ? "postgresql" : "sqlite";
}

/** Absolute path of a SQLite `file:` URL, relative paths resolved from the working directory. */
export function sqliteFilePath(url: string, cwd: string = process.cwd()): string {
  const raw = url.replace(/^file:/i, "").replace(/\?.*$/, "");
  if (raw === ":memory:") return raw;
  return path.resolve(cwd, raw);
}
