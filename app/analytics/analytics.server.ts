/** Reads the daily storefront aggregates for the admin: series per day, totals, top products. */
import type { Db } from "../db.server";
import { utcDay } from "./day";

export interface DayPoint {
  day: string;
  impressions: number;
  clicks: number;
  photoSearches: number;
  ctr: number;
}

export interface TopProduct {
  productId: string;
  impressions: number;
  clicks: number;
  ctr: number;
}

export interface AnalyticsSummary {
  days: number;
  series: DayPoint[];
  totals: { impressions: number; clicks: number; photoSearches: number; ctr: number };
  topRecommended: TopProduct[];
  topClicked: TopProduct[];
}

export const ctr = (clicks: number, impressions: number) => (impressions > 0 ? Math.round((clicks / impressions) * 10_000) / 10_000 : 0);

/** The last `days` UTC days ending today, oldest first. */
export function dayRange(days: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(utcDay(new Date(now.getTime() - i * 86_400_000)));
  return out;
}

export async function loadAnalytics(db: Db, shop: string, days: number, now = new Date()): Promise<AnalyticsSummary> {
  const range = dayRange(days, now);
  const from = range[0];
  const [rows, byImpressions, byClicks] = await Promise.all([
    db.dailyStat.findMany({ where: { shopDomain: shop, day: { gte: from } } }),
    db.productDailyStat.groupBy({ by: ["productId"], where: { shopDomain: shop, day: { gte: from } }, _sum: { impressions: true, clicks: true }, orderBy: { _sum: { impressions: "desc" } }, take: 10 }),
    db.productDailyStat.groupBy({ by: ["productId"], where: { shopDomain: shop, day: { gte: from } }, _sum: { impressions: true, clicks: true }, orderBy: { _sum: { clicks: "desc" } }, take: 10 }),
  ]);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const series = range.map((day) => {
    const r = byDay.get(day);
    const impressions = r?.impressions ?? 0;
    const clicks = r?.clicks ?? 0;
    return { day, impressions, clicks, photoSearches: r?.photoSearches ?? 0, ctr: ctr(clicks, impressions) };
  });
  const totals = series.reduce((t, d) => ({ impressions: t.impressions + d.impressions, clicks: t.clicks + d.clicks, photoSearches: t.photoSearches + d.photoSearches }), { impressions: 0, clicks: 0, photoSearches: 0 });
  const top = (g: typeof byImpressions, key: "impressions" | "clicks") =>
    g
      .map((x) => ({ productId: x.productId, impressions: x._sum.impressions ?? 0, clicks: x._sum.clicks ?? 0, ctr: ctr(x._sum.clicks ?? 0, x._sum.impressions ?? 0) }))
      .filter((x) => x[key] > 0);
  return { days, series, totals: { ...totals, ctr: ctr(totals.clicks, totals.impressions) }, topRecommended: top(byImpressions, "impressions"), topClicked: top(byClicks, "clicks") };
}
