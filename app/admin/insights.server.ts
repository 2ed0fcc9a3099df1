/**
 * Catalog insights: near-duplicate product photos (pairs whose image-channel similarity is above
 * a threshold, read from the live index) and products whose photos failed to embed.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import type { LiveCatalog } from "../live-index/live-catalog";
import type { AdminDeps } from "./admin-deps.server";
import { within } from "./admin-deps.server";
import { PRODUCT_VIEW_SELECT, toAdminProduct, type AdminProduct } from "./product-view.server";

export const THRESHOLDS = [0.9, 0.95, 0.98] as const;
/** MobileNetV2 features of studio shots of one kind sit around 0.9–0.97; re-used photos are ≥ 0.98. */
export const DEFAULT_THRESHOLD = 0.98;
/** Bounded work per page load: neighbours per product and products scanned. */
const NEIGHBOURS = 5;
const MAX_SCANNED = 20_000;
const MAX_PAIRS = 100;

export interface DuplicatePair {
  a: string;
  b: string;
  /** cosine of the two products' image embeddings */
  similarity: number;
}

/** Pairs of products whose photos are near-identical, most similar first. Pure over the index. */
export function nearDuplicatePairs(catalog: Pick<LiveCatalog, "index">, threshold: number, maxPairs = MAX_PAIRS): { pairs: DuplicatePair[]; scanned: number } {
  const { index } = catalog;
  const w = index.weights.image;
  if (w <= 0 || index.size < 2) return { pairs: [], scanned: 0 };
  const seen = new Set<string>();
  const pairs: DuplicatePair[] = [];
  let scanned = 0;
  for (const id of index.ids()) {
    if (scanned++ >= MAX_SCANNED) break;
    for (const hit of index.searchByProduct(id, { k: Math.min(NEIGHBOURS, index.size - 1) })) {
      const similarity = hit.contributions.image / w;
      if (similarity < threshold) continue;
      const [a, b] = id < hit.id ? [id, hit.id] : [hit.id, id];
      const key = `${a}|${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ a, b, similarity: Math.min(1, Math.round(similarity * 1000) / 1000) });
    }
  }
  pairs.sort((x, y) => y.similarity - x.similarity || (x.a < y.a ? -1 : 1));
  return { pairs: pairs.slice(0, maxPairs), scanned: Math.min(scanned, index.size) };
}

export interface InsightsData {
  threshold: number;
  indexReady: boolean;
  scanned: number;
  duplicates: { a: AdminProduct; b: AdminProduct; similarity: number }[];
  failed: (AdminProduct & { reason: string })[];
  failedTotal: number;
}

export async function insightsLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<InsightsData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const t = Number(new URL(request.url).searchParams.get("threshold") ?? DEFAULT_THRESHOLD);
  const threshold = (THRESHOLDS as readonly number[]).includes(t) ? t : DEFAULT_THRESHOLD;
  const [catalog, failedRows, failedTotal] = await Promise.all([
    within(deps.catalog(shop).catch(() => null), 3_000),
    deps.db.product.findMany({ where: { shopDomain: shop, embedState: "failed" }, orderBy: { title: "asc" }, take: 50, select: { ...PRODUCT_VIEW_SELECT, embedError: true } }),
    deps.db.product.count({ where: { shopDomain: shop, embedState: "failed" } }),
  ]);
  const { pairs, scanned } = catalog ? nearDuplicatePairs(catalog, threshold) : { pairs: [], scanned: 0 };
  const ids = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const rows = ids.length ? await deps.db.product.findMany({ where: { shopDomain: shop, id: { in: ids } }, select: PRODUCT_VIEW_SELECT }) : [];
  const views = new Map(rows.map((r) => [r.id, toAdminProduct(r, shop, deps.apiSecret)]));
  return {
    threshold,
    indexReady: !!catalog,
    scanned,
    duplicates: pairs.flatMap((p) => (views.has(p.a) && views.has(p.b) ? [{ a: views.get(p.a)!, b: views.get(p.b)!, similarity: p.similarity }] : [])),
    failed: failedRows.map((r) => ({ ...toAdminProduct(r, shop, deps.apiSecret), reason: r.embedError ?? "unknown reason" })),
    failedTotal,
  };
}
