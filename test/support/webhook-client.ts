/** Delivers webhooks to the app the way Shopify does: JSON body, HMAC-SHA256 (base64) header. */
import { createHmac, randomUUID } from "node:crypto";
import { TEST_API_SECRET } from "../../scripts/lib/app-processes";

export interface WebhookDelivery {
  topic: string; // e.g. "products/update"
  shop: string;
  payload: unknown;
  webhookId?: string;
  secret?: string;
  path?: string;
}

export async function sendWebhook(baseUrl: string, d: WebhookDelivery): Promise<Response> {
  const body = JSON.stringify(d.payload);
  const hmac = createHmac("sha256", d.secret ?? TEST_API_SECRET).update(body).digest("base64");
  const path = d.path ?? `/webhooks/${d.topic === "products/create" ? "products/update" : d.topic}`;
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": d.topic,
      "X-Shopify-Hmac-Sha256": hmac,
      "X-Shopify-Shop-Domain": d.shop,
      "X-Shopify-Webhook-Id": d.webhookId ?? randomUUID(),
      "X-Shopify-API-Version": "2026-01",
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
    body,
  });
}

/** A products/create|update payload in Shopify's REST shape. */
export function restProduct(p: { id: number; title: string; price: string; updatedAt: string; imageUrl?: string; handle?: string; productType?: string }) {
  return {
    id: p.id,
    admin_graphql_api_id: `gid://shopify/Product/${p.id}`,
    title: p.title,
    handle: p.handle ?? p.title.toLowerCase().replace(/\W+/g, "-"),
    body_html: `<p>${p.title}</p>`,
    product_type: p.productType ?? "Mugs",
    vendor: "Test",
    tags: "Test, Webhook",
    status: "active",
    updated_at: p.updatedAt,
    variants: [{ id: p.id * 10, price: p.price, inventory_management: null, inventory_quantity: 0 }],
    images: p.imageUrl ? [{ id: p.id * 100, src: p.imageUrl }] : [],
    image: p.imageUrl ? { src: p.imageUrl } : null,
  };
}
