import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyBudget, BodyRefusedError, readBody } from "./body-reader.server";

function incoming(headers: Record<string, string> = {}) {
  const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
  s.headers = headers;
  return s;
}
const limit = { route: "default" as const, maxBytes: 1_000, deadlineMs: 200 };
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: BodyRefusedError) => e.refusal.status);

describe("readBody", () => {
  it("reads a body within its cap and releases its budget", async () => {
    const budget = new BodyBudget(10_000);
    const req = incoming({ "content-length": "5" });
    const read = readBody(req as unknown as IncomingMessage, limit, budget);
    req.end("hello");
    const { body, release } = await read;
    expect(body.toString()).toBe("hello");
    expect(budget.used).toBe(5);
    release();
    expect(budget.used).toBe(0);
  });

  it("stops a body without a length (chunked) past the cap: 413, and stops reading", async () => {
    const req = incoming();
    const read = refusal(readBody(req as unknown as IncomingMessage, limit, new BodyBudget(10_000)));
    let written = 0;
    while (written < 100_000 && req.write(Buffer.alloc(500))) written += 500;
    expect(await read).toBe(413);
    expect(req.isPaused()).toBe(true);
  });

  it("refuses a declared length over the cap before reading, a bad length, a slow body and an exhausted budget", async () => {
    expect(await refusal(readBody(incoming({ "content-length": "5000" }) as unknown as IncomingMessage, limit, new BodyBudget(10_000)))).toBe(413);
    expect(await refusal(readBody(incoming({ "content-length": "-1" }) as unknown as IncomingMessage, limit, new BodyBudget(10_000)))).toBe(400);
    const slow = incoming();
    slow.write("a");
    expect(await refusal(readBody(slow as unknown as IncomingMessage, limit, new BodyBudget(10_000)))).toBe(408);
    const budget = new BodyBudget(1_500);
    const held = readBody(incoming() as unknown as IncomingMessage, { ...limit, deadlineMs: 5_000 }, budget); // reserves its cap (1,000)
    expect(await refusal(readBody(incoming() as unknown as IncomingMessage, limit, budget))).toBe(503);
    void held.catch(() => {});
  });
});
