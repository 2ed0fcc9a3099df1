import { describe, expect, it } from "vitest";
import { BodyTimeoutError, BodyTooLargeError, readBoundedBody } from "./bounded-body";

function chunked(parts: number, size: number): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= parts) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size));
    },
  });
  const request = new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit);
  return { request, pulled: () => pulled };
}

describe("readBoundedBody", () => {
  it("returns a body within the cap, whatever its framing", async () => {
    expect((await readBoundedBody(new Request("http://x/", { method: "POST", body: "hello" }), 5)).toString()).toBe("hello");
    expect((await readBoundedBody(chunked(4, 10).request, 40)).length).toBe(40);
  });

  it("stops reading a chunked body once it passes the cap", async () => {
    const { request, pulled } = chunked(100_000, 1024);
    await expect(readBoundedBody(request, 64 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(pulled()).toBeLessThan(70);
  });

  it("refuses a declared Content-Length over the cap before reading", async () => {
    const request = new Request("http://x/", { method: "POST", body: "x".repeat(100), headers: { "content-length": "100" } });
    await expect(readBoundedBody(request, 10)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it("cuts off a body still arriving after the deadline", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++;
        await new Promise((r) => setTimeout(r, 50));
        controller.enqueue(new Uint8Array(10));
      },
    });
    const request = new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit);
    const started = Date.now();
    await expect(readBoundedBody(request, 1_000_000, { deadlineMs: 200 })).rejects.toBeInstanceOf(BodyTimeoutError);
    expect(Date.now() - started).toBeLessThan(400);
    const after = pulls;
    await new Promise((r) => setTimeout(r, 150));
    expect(pulls).toBeLessThanOrEqual(after + 1);
  });
});
