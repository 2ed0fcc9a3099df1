/**
 * Storefront events (`POST /proxy/events`, sent by the theme blocks with `navigator.sendBeacon`):
 * impression, click and photo_search. Validated, product ids checked against the shop's live
 * catalog, then added to the in-process batch (event-batcher.server.ts) that writes per-shop,
 * per-UTC-day aggregates with atomic increments, so concurrent web processes never lose a count.
 * Nothing that identifies a shopper is read or stored: no IP, no cookie, no user agent.
 */
import { BodyTooLargeError, readBoundedBody } from "../http/bounded-body";
import { utcDay } from "./day";
import type { CountedEvent, EventBatcher } from "./event-batcher.server";
import { authenticateProxy } from "../storefront/proxy-auth.server";
import { errorResponse, ProxyError } from "../storefront/proxy-errors.server";
import { moduleLogger, type Logger } from "../logging/logger.server";

const eventsLog = moduleLogger("analytics");

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

/** The shop's live catalog products (`has(id)`); throws a 404 ProxyError when the shop has no catalog. */
export type ShopProducts = (shop: string) => Promise<{ has(id: string): boolean }>;

/**
 * The event as counted: product ids not in the shop's catalog are dropped (the event itself still
 * counts), so invented ids never create rows. At most MAX_IMPRESSION_IDS ids per event (parse).
 */
export function countedEvent(event: StorefrontEvent, products: { has(id: string): boolean }): CountedEvent {
  const ids = event.type === "impression" ? event.productIds ?? [] : event.type === "click" && event.productId ? [event.productId] : [];
  return { type: event.type, productIds: ids.filter((id) => products.has(id)) };
}

export interface StorefrontEventDeps {
  /** The client's address as the trusted proxies saw it (server.ts `context.clientAddress`); per-client limit key. */
  clientAddress: string | undefined;
  products: ShopProducts;
  /** Throws a 429 ProxyError when the shop or this client is over the events limit. */
  rateLimit: (shop: string, clientAddress: string | undefined) => Promise<void>;
  batcher: Pick<EventBatcher, "add">;
}

/**
 * `POST /proxy/events`: signed like every proxy request; limited per shop and per client address;
 * body read with a byte cap whatever its framing; answers 204 once the event is in the batch
 * (written to the database by the batcher's next flush).
 */
export async function storefrontEventsHandler(request: Request, deps: StorefrontEventDeps, log: Logger = eventsLog): Promise<Response> {
  try {
    if (request.method !== "POST") throw new ProxyError(405, "method_not_allowed", "POST an event.", { Allow: "POST" });
    const { shop } = await authenticateProxy(request);
    await deps.rateLimit(shop, deps.clientAddress);
    let body: Buffer;
    try {
      body = await readBoundedBody(request, MAX_EVENT_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new ProxyError(413, "event_too_large", "Event body is too large.");
      throw new ProxyError(400, "invalid_event", "The event body could not be read.");
    }
    const event = parseStorefrontEvent(body.toString("utf8"));
    const products = await deps.products(shop);
    deps.batcher.add(shop, countedEvent(event, products));
    return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof ProxyError) return errorResponse(err);
    log.error({ err }, "event error");
    return errorResponse(new ProxyError(500, "internal_error", "Something went wrong; please try again."));
  }
}
