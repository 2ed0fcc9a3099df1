/** Products: a searchable, paginated list with embedding state; retry of failed products. */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { markForRetry } from "../catalog/product-repository.server";
import { embedJobId, enqueueEmbedJobs, type EmbedRequest } from "../queues/queues.server";
import type { Prisma } from "@prisma/client";
import type { AdminDeps } from "./admin-deps.server";
import { PRODUCT_VIEW_SELECT, toAdminProduct, type AdminProduct } from "./product-view.server";

export const PAGE_SIZE = 25;
export const EMBED_STATES = ["pending", "embedded", "failed"] as const;
export type EmbedStateFilter = (typeof EMBED_STATES)[number] | "all";

export interface ProductListRow extends AdminProduct {
  embedState: string;
  embedError: string | null;
  updatedAt: string;
}

export interface ProductsData {
  query: string;
  state: EmbedStateFilter;
  page: number;
  pageCount: number;
  total: number;
  /** failed products in the whole catalog (for "Retry all failed") */
  failedCount: number;
  rows: ProductListRow[];
  /** Whether a full resync from Shopify is available in this build (see the page). */
  fullSyncAvailable: boolean;
}

export function parseListParams(url: URL): { query: string; state: EmbedStateFilter; page: number } {
  const query = (url.searchParams.get("q") ?? "").trim().slice(0, 100);
  const s = url.searchParams.get("state") ?? "all";
  const state = (EMBED_STATES as readonly string[]).includes(s) ? (s as EmbedStateFilter) : "all";
  const p = Number(url.searchParams.get("page") ?? 1);
  return { query, state, page: Number.isInteger(p) && p >= 1 && p <= 100_000 ? p : 1 };
}

export async function productsLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<ProductsData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const { query, state, page } = parseListParams(new URL(request.url));
  const where: Prisma.ProductWhereInput = { shopDomain: shop };
  if (state !== "all") where.embedState = state;
  if (query) {
    // contains is case-sensitive on PostgreSQL without mode; try the common spellings on both databases.
    const variants = [...new Set([query, query.toLowerCase(), query[0].toUpperCase() + query.slice(1).toLowerCase()])];
    where.OR = variants.flatMap((v) => [{ title: { contains: v } }, { handle: { contains: v.toLowerCase() } }, { productType: { contains: v } }]);
    if (/^\d{1,20}$/.test(query)) where.OR.push({ id: query });
  }
  const [total, failedCount] = await Promise.all([deps.db.product.count({ where }), deps.db.product.count({ where: { shopDomain: shop, embedState: "failed" } })]);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const current = Math.min(page, pageCount);
  const rows = await deps.db.product.findMany({
    where,
    orderBy: [{ title: "asc" }, { id: "asc" }],
    skip: (current - 1) * PAGE_SIZE,
    take: PAGE_SIZE,
    select: { ...PRODUCT_VIEW_SELECT, embedState: true, embedError: true, updatedAt: true },
  });
  return {
    query,
    state,
    page: current,
    pageCount,
    total,
    failedCount,
    rows: rows.map((r) => ({ ...toAdminProduct(r, shop, deps.apiSecret), embedState: r.embedState, embedError: r.embedError, updatedAt: r.updatedAt.toISOString() })),
    fullSyncAvailable: !!deps.startFullSync,
  };
}

export type ProductsActionResult = { ok: true; message: string; retried: number } | { ok: false; error: string };

/**
 * Re-queues embedding for failed products. Embed job ids are content-addressed, so a job that
 * already failed for the same content still exists in BullMQ: it is retried in place; otherwise a
 * new job is added. The row goes back to "pending" so the merchant sees it is being worked on.
 */
export async function retryEmbedding(deps: AdminDeps, shop: string, productIds: string[]): Promise<number> {
  const rows = await deps.db.product.findMany({
    where: { shopDomain: shop, id: { in: productIds }, embedState: "failed" },
    select: { id: true, textHash: true, imageHash: true },
  });
  if (!rows.length) return 0;
  const queue = deps.queue();
  const fresh: EmbedRequest[] = [];
  for (const r of rows) {
    const job = await queue.getJob(embedJobId(shop, r.id, r.textHash, r.imageHash));
    const state = job ? await job.getState() : "unknown";
    if (job && state === "failed") await job.retry("failed");
    else if (job && (state === "completed" || state === "unknown")) {
      await job.remove().catch(() => {});
      fresh.push({ shop, productId: r.id, textHash: r.textHash, imageHash: r.imageHash });
    } else if (!job) fresh.push({ shop, productId: r.id, textHash: r.textHash, imageHash: r.imageHash });
    // waiting / active / delayed: already on its way
  }
  await markForRetry(deps.db, shop, rows.map((r) => r.id));
  if (fresh.length) await enqueueEmbedJobs(queue, fresh);
  return rows.length;
}

export async function productsAction({ request }: Pick<ActionFunctionArgs, "request">, deps: AdminDeps): Promise<ProductsActionResult> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  if (intent === "retry") {
    const id = String(form.get("productId") ?? "");
    if (!/^\d{1,20}$/.test(id)) return { ok: false, error: "Unknown product." };
    const retried = await retryEmbedding(deps, shop, [id]);
    return retried ? { ok: true, retried, message: "Queued for another try" } : { ok: false, error: "This product is not in a failed state." };
  }
  if (intent === "retry_all_failed") {
    const failed = await deps.db.product.findMany({ where: { shopDomain: shop, embedState: "failed" }, select: { id: true }, take: 5_000 });
    const retried = await retryEmbedding(deps, shop, failed.map((f) => f.id));
    return { ok: true, retried, message: retried ? `${retried} product${retried === 1 ? "" : "s"} queued for another try` : "Nothing to retry" };
  }
  if (intent === "full_resync") {
    if (!deps.startFullSync) return { ok: false, error: "Full resync needs a connection to Shopify, which the demo does not have." };
    await deps.startFullSync(shop);
    return { ok: true, retried: 0, message: "Full resync started — follow its progress on Home" };
  }
  return { ok: false, error: "Unknown action." };
}
