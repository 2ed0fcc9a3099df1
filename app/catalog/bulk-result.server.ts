/**
 * Downloading a bulk operation's JSONL result. Shopify hands out a signed storage URL that stops
 * working after a while: the storage answers 400 (`ExpiredToken`), 403 or 404 — and asking again
 * will never help, only a new bulk operation gives a new link. A 5xx, 408, 429 or a network error
 * is the storage having a bad moment: the same link is tried again later (the sync job retries).
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** The result link answered a status that asking again will not change. */
export class BulkResultGoneError extends Error {
  constructor(readonly status: number) {
    super(`the bulk result link no longer works (HTTP ${status})`);
    this.name = "BulkResultGoneError";
  }
}

/** True for the answers of a link that has expired or was revoked (any 4xx but 408 and 429). */
export function resultLinkGone(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Opens the result for streaming; throws BulkResultGoneError or (transient) Error. */
export async function openBulkResult(url: string, timeoutMs = 30 * 60_000): Promise<Readable> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.ok && res.body) return Readable.fromWeb(res.body as WebReadableStream);
  await res.body?.cancel().catch(() => {});
  if (resultLinkGone(res.status)) throw new BulkResultGoneError(res.status);
  throw new Error(`downloading the bulk result failed: HTTP ${res.status}`);
}
