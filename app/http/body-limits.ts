/**
 * How many bytes a request body may have, and how long it may take to arrive, per route — chosen
 * from what Shopify (or our own pages) actually send. server.ts reads every non-GET body with these
 * caps before Remix sees it; the webhook route and the photo upload also cap on the Remix side.
 *
 * | route                         | cap       | deadline | why (sources)                                                                                    |
 * |-------------------------------|-----------|----------|--------------------------------------------------------------------------------------------------|
 * | POST /webhooks/*              | 10 MB     | 30 s     | Shopify documents no cap for HTTPS delivery; it sends EventBridge payloads up to 1,000,000 bytes and   |
 * |                               |           |          | falls back to an `{"id": …}` body above that (shopify.dev/changelog/amazon-eventbridge-webhook-payload- |
 * |                               |           |          | size-limit-increased-to-1-mb); a Shopify staff answer: bodies "can be upwards of a megabyte"           |
 * |                               |           |          | (community.shopify.com/c/Shopify-APIs-SDKs/Webhook-requests-exceed-max-size/m-p/144434). 10× headroom. |
 * | POST /proxy/visual-search     | 8 MB+64KB | 20 s¹    | our own limit: MAX_PHOTO_BYTES (8 MB photo) + multipart overhead; Shopify's app proxy documents no    |
 * |                               |           |          | body limit of its own (shopify.dev/docs/apps/build/online-store/app-proxies).                        |
 * | POST /proxy/events            | 8 KB      | 5 s      | our own limit: MAX_EVENT_BYTES (2 KB, app/analytics/storefront-events.server.ts) with room for framing.|
 * | POST /app/preview (admin)     | 8 MB+64KB | 60 s     | the admin's "preview with a photo" upload (same photo limit; merchants on slower links).             |
 * | POST /app/*, /auth/* (admin)  | 1 MB      | 30 s     | form posts and JSON settings of our own pages: a few KB.                                             |
 * | anything else                 | 64 KB     | 10 s     | nothing else takes a body.                                                                           |
 *
 * The demo's /apps/lookalike/* (a stand-in for the app proxy) gets its /proxy/* route's cap.
 *
 * ¹ PHOTO_UPLOAD_DEADLINE_MS; the others are fixed.
 */
/** The largest photo a shopper (or merchant) may upload; photo-upload.server.ts's MAX_UPLOAD_BYTES. */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
export const PHOTO_BODY_MAX_BYTES = MAX_PHOTO_BYTES + MULTIPART_OVERHEAD_BYTES;
export const WEBHOOK_BODY_MAX_BYTES = 10 * 1024 * 1024;
export const EVENTS_BODY_MAX_BYTES = 8 * 1024;
export const ADMIN_BODY_MAX_BYTES = 1024 * 1024;
export const DEFAULT_BODY_MAX_BYTES = 64 * 1024;

export interface BodyLimit {
  /** A short name for logs and the per-route bookkeeping. */
  route: "webhook" | "photo" | "events" | "admin-photo" | "admin" | "default";
  maxBytes: number;
  deadlineMs: number;
}

export function photoUploadDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PHOTO_UPLOAD_DEADLINE_MS ?? 20_000);
  return Number.isFinite(n) && n > 0 ? n : 20_000;
}

/**
 * The demo's stand-in for Shopify's app proxy (routes/apps.lookalike.$.tsx) forwards to /proxy/*,
 * also under a storefront locale prefix (`/fr/apps/lookalike/*`), as Shopify's proxy is.
 */
const DEMO_PROXY_PATH = /^(?:\/[a-z]{2}(?:-[a-z]{2})?)?\/apps\/lookalike\//i;

/** The cap for a request body on `pathname` (no query). */
export function bodyLimitFor(pathname: string, env: NodeJS.ProcessEnv = process.env): BodyLimit {
  const demo = pathname.match(DEMO_PROXY_PATH);
  if (demo) pathname = `/proxy/${pathname.slice(demo[0].length)}`;
  if (pathname.startsWith("/webhooks/")) return { route: "webhook", maxBytes: WEBHOOK_BODY_MAX_BYTES, deadlineMs: 30_000 };
  if (pathname === "/proxy/visual-search") return { route: "photo", maxBytes: PHOTO_BODY_MAX_BYTES, deadlineMs: photoUploadDeadlineMs(env) };
  if (pathname === "/proxy/events") return { route: "events", maxBytes: EVENTS_BODY_MAX_BYTES, deadlineMs: 5_000 };
  if (pathname === "/app/preview" || pathname.startsWith("/app/preview.")) return { route: "admin-photo", maxBytes: PHOTO_BODY_MAX_BYTES, deadlineMs: 60_000 };
  if (pathname === "/app" || pathname.startsWith("/app/") || pathname.startsWith("/app.") || pathname.startsWith("/auth/")) {
    return { route: "admin", maxBytes: ADMIN_BODY_MAX_BYTES, deadlineMs: 30_000 };
  }
  return { route: "default", maxBytes: DEFAULT_BODY_MAX_BYTES, deadlineMs: 10_000 };
}
