/**
 * Adds summed counts to DailyStat / ProductDailyStat in one transaction: multi-row
 * `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` (same SQL on SQLite and PostgreSQL), so the
 * increment is atomic in the database and several web processes flushing at once never lose a count.
 * All or nothing: a failure leaves no row changed, so the caller may retry every count.
 */
import type { Prisma } from "@prisma/client";
import type { Db } from "../db.server";

export interface DayCounts {
  shopDomain: string;
  day: string;
  impressions: number;
  clicks: number;
  photoSearches: number;
}

export interface ProductDayCounts {
  shopDomain: string;
  day: string;
  productId: string;
  impressions: number;
  clicks: number;
}

/** Rows per statement: 5 bound values each, well under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 200;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/**
 * `head (v, v, …), (v, v, …) tail` as a tagged-template call of the client's own `$executeRaw`, so
 * each client binds the values with its own placeholders (`?` on SQLite, `$n` on PostgreSQL).
 * Prisma.sql is not used: the two generated clients load separate runtimes whose Sql objects the
 * other does not recognise.
 */
function insertMany(db: Db, head: string, rows: unknown[][], tail: string): Prisma.PrismaPromise<number> {
  const strings: string[] = [];
  const values: unknown[] = [];
  rows.forEach((row, r) => {
    row.forEach((v, i) => {
      strings.push(i > 0 ? ", " : r === 0 ? `${head} (` : "), (");
      values.push(v);
    });
  });
  strings.push(`) ${tail}`);
  const template = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
  return db.$executeRaw(template, ...values);
}

export function writeDailyStats(db: Db, days: DayCounts[], products: ProductDayCounts[]): Promise<unknown> {
  const statements: Prisma.PrismaPromise<number>[] = [];
  for (const rows of chunks(days)) {
    statements.push(
      insertMany(
        db,
        `INSERT INTO "DailyStat" ("shopDomain", "day", "impressions", "clicks", "photoSearches") VALUES`,
        rows.map((r) => [r.shopDomain, r.day, r.impressions, r.clicks, r.photoSearches]),
        `ON CONFLICT ("shopDomain", "day") DO UPDATE SET
          "impressions" = "DailyStat"."impressions" + excluded."impressions",
          "clicks" = "DailyStat"."clicks" + excluded."clicks",
          "photoSearches" = "DailyStat"."photoSearches" + excluded."photoSearches"`,
      ),
    );
  }
  for (const rows of chunks(products)) {
    statements.push(
      insertMany(
        db,
        `INSERT INTO "ProductDailyStat" ("shopDomain", "day", "productId", "impressions", "clicks") VALUES`,
        rows.map((r) => [r.shopDomain, r.day, r.productId, r.impressions, r.clicks]),
        `ON CONFLICT ("shopDomain", "day", "productId") DO UPDATE SET
          "impressions" = "ProductDailyStat"."impressions" + excluded."impressions",
          "clicks" = "ProductDailyStat"."clicks" + excluded."clicks"`,
      ),
    );
  }
  return statements.length ? db.$transaction(statements) : Promise.resolve();
}
