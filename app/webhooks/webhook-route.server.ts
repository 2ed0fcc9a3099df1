/** Shared shape of our webhook routes: authenticate (HMAC), run the handler, answer its status. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { isShopDomain } from "../catalog/shop-domain";
import { isDatabaseUnavailable } from "../db/database-unavailable";
import { WEBHOOK_BODY_MAX_BYTES } from "../http/body-limits";
import { BodyTooLargeError, readBoundedBody } from "../http/bounded-body";
import { errorSummary } from "../shared/error-text";
import { authenticate } from "../shopify.server";
import type { WebhookDeps, WebhookInput, WebhookOutcome } from "./webhook-handlers.server";
import { moduleLogger } from "../logging/logger.server";

const webhookLog = moduleLogger("webhooks");

let lastUnavailableLog = 0;

/** `deps`: the composition root's `webhookDeps` (app/web-services.server.ts), called per delivery. */
export function webhookAction(handler: (deps: WebhookDeps, input: WebhookInput) => Promise<WebhookOutcome>, topics: string[], deps: () => WebhookDeps) {
  return async ({ request: received, context }: ActionFunctionArgs) => {
    let log = context?.log ?? webhookLog;
    // Before the HMAC and session work, which throw (a 500) on a header that is no shop's domain.
    if (!isShopDomain(received.headers.get("x-shopify-shop-domain") ?? "")) return new Response("invalid X-Shopify-Shop-Domain", { status: 400 });
    try {
      // The body is read within its cap before the HMAC is checked (it covers the whole body).
      const body = await readBoundedBody(received, WEBHOOK_BODY_MAX_BYTES).catch((err: unknown) => {
        throw err instanceof BodyTooLargeError ? new Response("payload too large", { status: 413, headers: { Connection: "close" } }) : err;
      });
      const headers = new Headers(received.headers);
      headers.delete("transfer-encoding");
      const request = new Request(received.url, { method: received.method, headers, body: body as unknown as ArrayBuffer });
      const { shop, topic, payload, webhookId } = await authenticate.webhook(request).catch((err: unknown) => {
        // Signed, but not JSON: the library's JSON.parse throws after the HMAC check (was a 500).
        if (err instanceof SyntaxError) throw new Response("malformed JSON body", { status: 400 });
        throw err;
      });
      log = log.child({ shop });
      if (!topics.includes(topic)) return new Response(`unexpected topic ${topic}`, { status: 400 });
      const outcome = await handler(deps(), { shop, topic, payload, webhookId });
      log.debug({ topic, webhookId, status: outcome.status }, `webhook ${topic}: ${outcome.status} ${outcome.note}`);
      return new Response(outcome.note, { status: outcome.status });
    } catch (err) {
      // The database is away (the session lookup or the handler's write failed): nothing was
      // recorded, so answer 503 and Shopify delivers the same webhook again later.
      if (!isDatabaseUnavailable(err)) throw err;
      if (Date.now() - lastUnavailableLog > 10_000) {
        lastUnavailableLog = Date.now();
        log.error(`webhook answered 503, the database is unavailable (Shopify will retry it): ${errorSummary(err)}`);
      }
      return new Response("database unavailable; retry later", { status: 503, headers: { "Retry-After": "10" } });
    }
  };
}
