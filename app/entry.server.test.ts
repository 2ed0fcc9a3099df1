import { afterEach, describe, expect, it, vi } from "vitest";

process.env.SHOPIFY_API_KEY ??= "test-api-key";
process.env.SHOPIFY_API_SECRET ??= "test-api-secret-0123456789";
process.env.SHOPIFY_APP_URL ??= "http://localhost:3000";

const notFound = { status: 404, statusText: "Not Found", internal: true, data: 'Error: No route matches URL "/favicon.ico"', error: new Error('No route matches URL "/favicon.ico"') };
const args = (request: Request) => ({ request, params: {}, context: {} });

describe("handleError", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs no stack for route 4xx (unknown URL, wrong method) nor for aborted requests, and real errors in full", async () => {
    const { handleError } = await import("./entry.server");
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (let i = 0; i < 50; i++) handleError(notFound, args(new Request("http://x/favicon.ico")));
    handleError({ ...notFound, status: 405, statusText: "Method Not Allowed" }, args(new Request("http://x/proxy/similar", { method: "POST" })));
    const aborted = new AbortController();
    aborted.abort();
    handleError(new Error("client went away"), args(new Request("http://x/app", { signal: aborted.signal })));
    expect(error).not.toHaveBeenCalled();
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
    const boom = new Error("boom");
    handleError(boom, args(new Request("http://x/app")));
    expect(error).toHaveBeenCalledWith(boom);
  });
});
