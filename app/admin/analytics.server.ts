/** Analytics page: impressions, clicks, CTR, photo searches per day; top products with titles. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { loadAnalytics, type AnalyticsSummary, type TopProduct } from "../analytics/analytics.server";
import type { AdminDeps } from "./admin-deps.server";
import { PRODUCT_VIEW_SELECT, toAdminProduct, type AdminProduct } from "./product-view.server";

export const PERIODS = [7, 30, 90] as const;

export interface AnalyticsData extends Omit<AnalyticsSummary, "topRecommended" | "topClicked"> {
  topRecommended: (TopProduct & { product: AdminProduct | null })[];
  topClicked: (TopProduct & { product: AdminProduct | null })[];
}

export async function analyticsLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<AnalyticsData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const d = Number(new URL(request.url).searchParams.get("days") ?? 30);
  const days = (PERIODS as readonly number[]).includes(d) ? d : 30;
  const summary = await loadAnalytics(deps.db, shop, days);
  const ids = [...new Set([...summary.topRecommended, ...summary.topClicked].map((t) => t.productId))];
  const rows = ids.length ? await deps.db.product.findMany({ where: { shopDomain: shop, id: { in: ids } }, select: PRODUCT_VIEW_SELECT }) : [];
  const views = new Map(rows.map((r) => [r.id, toAdminProduct(r, shop, deps.apiSecret)]));
  const withProduct = (list: TopProduct[]) => list.map((t) => ({ ...t, product: views.get(t.productId) ?? null }));
  return { ...summary, topRecommended: withProduct(summary.topRecommended), topClicked: withProduct(summary.topClicked) };
}
