import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dbFile = path.join(os.tmpdir(), `lookalike-webhook-route-${process.pid}.db`);
afterAll(() => rmSync(dbFile, { force: true }));

process.env.SHOPIFY_API_KEY ??= "test-api-key";
process.env.SHOPIFY_API_SECRET ??= "test-api-secret-0123456789";
process.env.SHOPIFY_APP_URL ??= "http://localhost:3000";
process.env.DATABASE_URL ??= `file:${dbFile}`;

describe("webhookAction (the Remix side, without server.ts in front)", () => {
  it("refuses a chunked body over the webhook cap with 413 before the HMAC check, without reading it all", async () => {
    const { webhookAction } = await import("./webhook-route.server");
    const { WEBHOOK_BODY_MAX_BYTES } = await import("../http/body-limits");
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 256 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const request = new Request("http://localhost:3000/webhooks/products/update", {
      method: "POST",
      body,
      duplex: "half",
      headers: { "content-type": "application/json", "x-shopify-hmac-sha256": "Ym9ndXM=", "x-shopify-topic": "products/update", "x-shopify-shop-domain": "a.myshopify.com" },
    } as RequestInit);
    let handled = false;
    const action = webhookAction(async () => ((handled = true), { status: 200, note: "ok" }), ["products/update"], () => ({}) as never);
    const answer = await action({ request, params: {}, context: {} }).catch((e: unknown) => e);
    expect(answer).toBeInstanceOf(Response);
    expect((answer as Response).status).toBe(413);
    expect(handled).toBe(false);
    expect(pulled).toBeLessThan(WEBHOOK_BODY_MAX_BYTES + 256 * 1024);
  });
});
