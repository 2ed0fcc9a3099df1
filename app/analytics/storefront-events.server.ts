/**
 * Storefront events (`POST /proxy/events`, sent by the theme blocks with `navigator.sendBeacon`):
 * impression, click and photo_search. Validated, then counted into per-shop, per-UTC-day
 * aggregates with atomic upserts (`increment`), so concurrent web processes never lose a count.
 * Nothing that identifies a shopper is read or stored: no IP, no cookie, no user agent.
 */
import type { Db } from "../db.server";
import { utcDay } from "./day";
import { authenticateProxy } from "../storefront/proxy-auth.server";
import { errorResponse, ProxyError } from "../storefront/proxy-errors.server";

export type StorefrontEventType = "impression" | "click" | "photo_search";

export interface StorefrontEvent {
  type: StorefrontEventType;
  /** The product clicked (click). */
  productId?: string;
  /** The product page the block was on (impression, click from "similar products"). */
  sourceProductId?: string;
  /** The products shown in the block (impression), for "top recommended". */
  productIds?: string[];
}

/** sendBeacon bodies are tiny; anything larger is not ours. */
export const MAX_EVENT_BYTES = 2_048;
export const MAX_IMPRESSION_IDS = 50;
const TYPES = new Set<StorefrontEventType>(["impression", "click", "photo_search"]);

function productId(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const raw = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof raw !== "string") throw new ProxyError(400, "invalid_event", `${field} must be a product id`);
  const m = /^(?:gid:\/\/shopify\/Product\/)?(\d{1,20})$/.exec(raw);
  if (!m) throw new ProxyError(400, "invalid_event", `${field} must be a numeric product id or gid://shopify/Product/<id>`);
  return m[1];
}

/** Parses a beacon body (JSON sent as text/plain). Throws a 400 ProxyError on anything else. */
export function parseStorefrontEvent(body: string): StorefrontEvent {
  if (Buffer.byteLength(body) > MAX_EVENT_BYTES) throw new ProxyError(413, "event_too_large", "Event body is too large.");
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    throw new ProxyError(400, "invalid_event", "Event body must be JSON.");
  }
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new ProxyError(400, "invalid_event", "Event body must be a JSON object.");
  const r = o as Record<string, unknown>;
  if (typeof r.type !== "string" || !TYPES.has(r.type as StorefrontEventType)) {
    throw new ProxyError(400, "invalid_event", "type must be impression, click or photo_search.");
  }
  const event: StorefrontEvent = { type: r.type as StorefrontEventType };
  const pid = productId(r.productId, "productId");
  const source = productId(r.sourceProductId, "sourceProductId");
  if (event.type === "click" && !pid) throw new ProxyError(400, "invalid_event", "A click needs productId.");
  if (pid) event.productId = pid;
  if (source) event.sourceProductId = source;
  if (r.productIds !== undefined) {
    if (!Array.isArray(r.productIds) || r.productIds.length > MAX_IMPRESSION_IDS) {
      throw new ProxyError(400, "invalid_event", `productIds must be a list of at most ${MAX_IMPRESSION_IDS} product ids.`);
    }
    const ids = [...new Set(r.productIds.map((v) => productId(v, "productIds")).filter((v): v is string => !!v))];
    if (event.type === "impression" && ids.length) event.productIds = ids;
  }
  return event;
}

export { utcDay };

/** Counts one event into the shop's daily aggregates (atomic increments, safe across processes). */
export async function recordStorefrontEvent(db: Db, shop: string, event: StorefrontEvent, at: Date = new Date()): Promise<void> {
  const day = utcDay(at);
  const field = event.type === "impression" ? "impressions" : event.type === "click" ? "clicks" : "photoSearches";
  const writes = [
    db.dailyStat.upsert({
      where: { shopDomain_day: { shopDomain: shop, day } },
      create: { shopDomain: shop, day, [field]: 1 },
      update: { [field]: { increment: 1 } },
    }),
  ];
  const productField = event.type === "impression" ? "impressions" : event.type === "click" ? "clicks" : null;
  const productIds = event.type === "impression" ? event.productIds ?? [] : event.type === "click" && event.productId ? [event.productId] : [];
  if (productField) {
    for (const productId of productIds) {
      writes.push(
        db.productDailyStat.upsert({
          where: { shopDomain_day_productId: { shopDomain: shop, day, productId } },
          create: { shopDomain: shop, day, productId, [productField]: 1 },
          update: { [productField]: { increment: 1 } },
        }) as never,
      );
    }
  }
  await db.$transaction(writes);
}

/** `POST /proxy/events`: signed like every proxy request; answers 204 with no body. */
export async function storefrontEventsHandler(request: Request, db: () => Db, rateLimit?: (shop: string, forwardedFor: string | null) => Promise<void>): Promise<Response> {
  try {
    if (request.method !== "POST") throw new ProxyError(405, "method_not_allowed", "POST an event.", { Allow: "POST" });
    const { shop } = await authenticateProxy(request);
    await rateLimit?.(shop, request.headers.get("x-forwarded-for"));
    const length = Number(request.headers.get("content-length") ?? 0);
    if (length > MAX_EVENT_BYTES) throw new ProxyError(413, "event_too_large", "Event body is too large.");
    const event = parseStorefrontEvent(await request.text());
    await recordStorefrontEvent(db(), shop, event);
    return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof ProxyError) return errorResponse(err);
    console.error("[lookalike] event error", err);
    return errorResponse(new ProxyError(500, "internal_error", "Something went wrong; please try again."));
  }
}
