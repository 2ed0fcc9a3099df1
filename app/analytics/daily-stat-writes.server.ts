/**
 * Adds summed counts to DailyStat / ProductDailyStat in one transaction: multi-row
 * `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` (same SQL on SQLite and PostgreSQL), so the
 * increment is atomic in the database and several web processes flushing at once never lose a count.
 * All or nothing: a failure leaves no row changed, so the caller may retry every count.
 */
import { Prisma } from "@prisma/client";
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

export async function writeDailyStats(db: Db, days: DayCounts[], products: ProductDayCounts[]): Promise<void> {
  const statements: Prisma.PrismaPromise<number>[] = [];
  for (const rows of chunks(days)) {
    const values = Prisma.join(rows.map((r) => Prisma.sql`(${r.shopDomain}, ${r.day}, ${r.impressions}, ${r.clicks}, ${r.photoSearches})`));
    statements.push(db.$executeRaw`
      INSERT INTO "DailyStat" ("shopDomain", "day", "impressions", "clicks", "photoSearches") VALUES ${values}
      ON CONFLICT ("shopDomain", "day") DO UPDATE SET
        "impressions" = "DailyStat"."impressions" + excluded."impressions",
        "clicks" = "DailyStat"."clicks" + excluded."clicks",
        "photoSearches" = "DailyStat"."photoSearches" + excluded."photoSearches"`);
  }
  for (const rows of chunks(products)) {
    const values = Prisma.join(rows.map((r) => Prisma.sql`(${r.shopDomain}, ${r.day}, ${r.productId}, ${r.impressions}, ${r.clicks})`));
    statements.push(db.$executeRaw`
      INSERT INTO "ProductDailyStat" ("shopDomain", "day", "productId", "impressions", "clicks") VALUES ${values}
      ON CONFLICT ("shopDomain", "day", "productId") DO UPDATE SET
        "impressions" = "ProductDailyStat"."impressions" + excluded."impressions",
        "clicks" = "ProductDailyStat"."clicks" + excluded."clicks"`);
  }
  if (statements.length) await db.$transaction(statements);
}
