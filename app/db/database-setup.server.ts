/** Tells whether the database has our tables, so processes can say "run npm run setup" instead of failing later. */
import type { Db } from "../db.server";

export class DatabaseNotReadyError extends Error {}

export async function assertDatabaseReady(db: Db, url: string): Promise<void> {
  try {
    await db.shop.findFirst({ select: { domain: true } });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const what = code === "P2021" ? "has no Lookalike tables" : `is not reachable (${(err as Error).message.split("\n").filter(Boolean).pop()?.slice(0, 160)})`;
    throw new DatabaseNotReadyError(`The database at ${redact(url)} ${what}. Run: npm run setup`);
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, "//$1:***@");
}
