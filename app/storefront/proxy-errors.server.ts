/** JSON error responses of the storefront (app proxy) API: `{ "error": { "code", "message" } }`. */
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
