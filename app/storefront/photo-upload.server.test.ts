import { describe, expect, it } from "vitest";
import { ProxyError } from "./proxy-errors.server";
import { receivePhotoUpload } from "./photo-upload.server";

/** A chunked multipart body (no Content-Length): a filtered-out field that never ends. */
function endlessJunkField(): { request: Request; pulled: () => number } {
  let pulled = 0;
  const enc = new TextEncoder();
  const head = enc.encode('------x\r\nContent-Disposition: form-data; name="junk"\r\n\r\n');
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= 64 * 1024 * 1024) return controller.close();
      controller.enqueue(pulled === 0 ? head : chunk);
      pulled += pulled === 0 ? head.length : chunk.length;
    },
  });
  const request = new Request("http://x/proxy/visual-search", { method: "POST", body, duplex: "half", headers: { "content-type": "multipart/form-data; boundary=----x" } } as RequestInit);
  return { request, pulled: () => pulled };
}

describe("receivePhotoUpload", () => {
  it("stops a chunked upload past the photo cap with 413, whatever part the bytes are in", async () => {
    const { request, pulled } = endlessJunkField();
    const err = await receivePhotoUpload(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).status).toBe(413);
    expect(pulled()).toBeLessThan(10 * 1024 * 1024);
  });

  it("cuts off an upload slower than PHOTO_UPLOAD_DEADLINE_MS with 408", async () => {
    process.env.PHOTO_UPLOAD_DEADLINE_MS = "200";
    try {
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 100));
          controller.enqueue(new Uint8Array(16));
        },
      });
      const request = new Request("http://x/", { method: "POST", body, duplex: "half", headers: { "content-type": "multipart/form-data; boundary=----x" } } as RequestInit);
      const err = await receivePhotoUpload(request).catch((e: unknown) => e);
      expect((err as ProxyError).status).toBe(408);
    } finally {
      delete process.env.PHOTO_UPLOAD_DEADLINE_MS;
    }
  });
});
