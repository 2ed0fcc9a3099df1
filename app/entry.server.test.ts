import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RefusalLog } from "./http/refusal-log.server";
import { createLogger } from "./logging/logger.server";

process.env.SHOPIFY_API_KEY ??= "test-api-key";
process.env.SHOPIFY_API_SECRET ??= "test-api-secret-0123456789";
process.env.SHOPIFY_APP_URL ??= "http://localhost:3000";

const notFound = { status: 404, statusText: "Not Found", internal: true, data: 'Error: No route matches URL "/favicon.ico"', error: new Error('No route matches URL "/favicon.ico"') };
const args = (request: Request) => ({ request, params: {}, context: {} });

/** A JSON logger whose lines land in `lines` (parsed). */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ role: "web", format: "json", level: "info", destination }) };
}

describe("handleError", () => {
  it("logs no stack for route 4xx (unknown URL, wrong method) nor for aborted requests, and real errors in full", async () => {
    const { createHandleError } = await import("./entry.server");
    const { lines, log } = capturingLogger();
    const handleError = createHandleError(new RefusalLog(10_000, (line, fields) => log.warn(fields ?? {}, line)), log);
    for (let i = 0; i < 50; i++) handleError(notFound, args(new Request("http://x/favicon.ico")));
    handleError({ ...notFound, status: 405, statusText: "Method Not Allowed" }, args(new Request("http://x/proxy/similar", { method: "POST" })));
    const aborted = new AbortController();
    aborted.abort();
    handleError(new Error("client went away"), args(new Request("http://x/app", { signal: aborted.signal })));
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(warnings.every((l) => !JSON.stringify(l).includes("\\n") && !("err" in l))).toBe(true);
    const boom = new Error("boom");
    handleError(boom, args(new Request("http://x/app")));
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].err).toMatchObject({ message: "boom", stack: boom.stack });
  });

  it("puts the request's id on its refusal line", async () => {
    const { createHandleError } = await import("./entry.server");
    const { lines, log } = capturingLogger();
    const handleError = createHandleError(new RefusalLog(10_000, (line, fields) => log.warn(fields ?? {}, line)), log);
    handleError(notFound, { request: new Request("http://x/favicon.ico"), params: {}, context: { log: log.child({ reqId: "abc-1" }) } });
    expect(lines).toEqual([expect.objectContaining({ reqId: "abc-1", msg: "refused route-404: GET /favicon.ico", role: "web" })]);
  });
});
