/**
 * Reads a fetch Request's body whatever its framing (Content-Length or chunked), counting bytes as
 * they stream: past `maxBytes` the read stops, the stream is cancelled and BodyTooLargeError is
 * thrown, so at most `maxBytes` (plus one chunk) is ever held. A declared Content-Length over the
 * cap is refused before anything is read. With `deadlineMs`, a body still arriving after that long
 * is cancelled and BodyTimeoutError thrown (a slow upload holds nothing for long).
 */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body larger than ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export class BodyTimeoutError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`request body not received within ${deadlineMs} ms`);
    this.name = "BodyTimeoutError";
  }
}

export async function readBoundedBody(request: Request, maxBytes: number, opts: { deadlineMs?: number } = {}): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  let timedOut = false;
  const timer = opts.deadlineMs === undefined ? undefined : setTimeout(() => ((timedOut = true), reader.cancel().catch(() => {})), opts.deadlineMs);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw new BodyTimeoutError(opts.deadlineMs!);
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (timedOut) throw new BodyTimeoutError(opts.deadlineMs!);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, total);
}
