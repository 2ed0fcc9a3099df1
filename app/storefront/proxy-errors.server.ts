/**
 * JSON error responses of the storefront (app proxy) API: `{ "error": { "code", "message" } }`,
 * and the HTTP answer to each domain error of the ranking (app/ranking/ranking-errors.ts).
 */
import { ProductNotFound } from "../ranking/ranking-errors";

export class ProxyError extends Error {
  constructor(public readonly status: number, public readonly code: string, message: string, public readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

export function errorResponse(err: ProxyError): Response {
  return jsonResponse({ error: { code: err.code, message: err.message } }, err.status, err.headers);
}

/** The storefront's answer to an error: a ProxyError as it is, a ranking's domain error mapped to HTTP, else undefined (a 500). */
export function proxyErrorOf(err: unknown): ProxyError | undefined {
  if (err instanceof ProxyError) return err;
  if (err instanceof ProductNotFound) return new ProxyError(404, "product_not_found", "This product is not in the shop's searchable catalog (yet).");
  return undefined;
}
