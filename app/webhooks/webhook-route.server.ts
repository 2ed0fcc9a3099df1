/** Shared shape of our webhook routes: authenticate (HMAC), run the handler, answer its status. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { webhookDeps } from "../web-services.server";
import type { WebhookDeps, WebhookInput, WebhookOutcome } from "./webhook-handlers.server";

export function webhookAction(handler: (deps: WebhookDeps, input: WebhookInput) => Promise<WebhookOutcome>, topics: string[]) {
  return async ({ request }: ActionFunctionArgs) => {
    const { shop, topic, payload, webhookId } = await authenticate.webhook(request);
    if (!topics.includes(topic)) return new Response(`unexpected topic ${topic}`, { status: 400 });
    const outcome = await handler(webhookDeps(), { shop, topic, payload, webhookId });
    return new Response(outcome.note, { status: outcome.status });
  };
}
