import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { config } from "../config.server";
import { signAppProxyQuery } from "../demo/app-proxy-signature";
import { requireDemo } from "../demo/demo-guard.server";

/**
 * Demo: stands in for Shopify's app proxy. Storefront requests to /apps/lookalike/* are signed
 * exactly as Shopify signs them and forwarded over HTTP to /proxy/*, like the real thing.
 */
async function forward(request: Request, splat: string | undefined, clientAddress: string | undefined): Promise<Response> {
  requireDemo();
  const cfg = config();
  const incoming = new URL(request.url);
  const signed = signAppProxyQuery(incoming.searchParams, { shop: cfg.demoShop, secret: cfg.apiSecret, pathPrefix: "/apps/lookalike" });
  const target = `http://127.0.0.1:${cfg.port}/proxy/${(splat ?? "").replace(/^\/+/, "")}?${signed}`;
  const headers = new Headers();
  for (const h of ["content-type", "content-length", "accept", "user-agent"]) {
    const v = request.headers.get(h);
    if (v) headers.set(h, v);
  }
  // As Shopify's proxy does: the address it saw the shopper at, which the web process trusts (one hop).
  headers.set("x-forwarded-for", clientAddress ?? "127.0.0.1");
  const init: RequestInit & { duplex?: "half" } = {
    method: request.method,
    headers,
    body: request.method === "GET" || request.method === "HEAD" ? undefined : request.body,
    duplex: "half", // Node's fetch needs it for a streamed body
  };
  const res = await fetch(target, init);
  const out = new Headers();
  for (const h of ["content-type", "cache-control", "content-length", "retry-after"]) {
    const v = res.headers.get(h);
    if (v) out.set(h, v);
  }
  return new Response(res.body, { status: res.status, headers: out });
}

export const loader = ({ request, params, context }: LoaderFunctionArgs) => forward(request, params["*"], context.clientAddress);
export const action = ({ request, params, context }: ActionFunctionArgs) => forward(request, params["*"], context.clientAddress);
