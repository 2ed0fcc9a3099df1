/**
 * server.ts reads every request body itself, before Remix sees it, with raw-body: counted as it
 * streams whatever its framing (Content-Length or chunked), stopped past the route's cap (413),
 * cut off past the route's deadline (408), and only while the process-wide budget of body bytes
 * being held has room (503 past it). The bytes are then handed to Remix as the Request's body.
 */
import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { MAX_PHOTO_BYTES, type BodyLimit } from "./body-limits";
import type { Refusal } from "./request-target.server";

/** How many body bytes the process may hold at once; each body reserves its declared length, or its cap. */
export class BodyBudget {
  private inUse = 0;

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.inUse;
  }

  /** Reserves `bytes` and returns the release (idempotent), or null when the budget is short. */
  take(bytes: number): (() => void) | null {
    if (this.inUse + bytes > this.maxBytes) return null;
    this.inUse += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= bytes;
    };
  }
}

export function bodyBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): BodyBudget {
  const n = Number(env.BODY_BUFFER_BUDGET_BYTES ?? 256 * 1024 * 1024);
  return new BodyBudget(Number.isFinite(n) && n > 0 ? n : 256 * 1024 * 1024);
}

export class BodyRefusedError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
    this.name = "BodyRefusedError";
  }
}

const refused = (status: number, kind: string, detail: string, headers?: Record<string, string>, message?: string) => new BodyRefusedError({ status, kind, detail, headers, message });
const tooLarge = (limit: BodyLimit, detail: string) =>
  refused(413, "body-too-large", detail, undefined, limit.route === "photo" || limit.route === "admin-photo" ? `The photo is too large (limit ${MAX_PHOTO_BYTES / 1024 / 1024} MB).` : undefined);

/**
 * Reads `req`'s body within `limit`. Resolves with the bytes and the budget's release (call it
 * when the request is done with them); rejects with BodyRefusedError. After a refusal the request
 * is left paused: answer with `Connection: close` and Node discards the rest as the socket closes.
 */
export function readBody(req: IncomingMessage, limit: BodyLimit, budget: BodyBudget): Promise<{ body: Buffer; release: () => void }> {
  const header = req.headers["content-length"];
  let declared: number | undefined;
  if (header !== undefined) {
    if (!/^\d{1,15}$/.test(header)) return Promise.reject(refused(400, "bad-length", `Content-Length ${header}`));
    declared = Number(header);
    if (declared > limit.maxBytes) return Promise.reject(tooLarge(limit, `${limit.route} body declared ${declared} bytes (cap ${limit.maxBytes})`));
  }
  const release = budget.take(declared ?? limit.maxBytes);
  if (!release) {
    return Promise.reject(refused(503, "body-budget", `${limit.route} body while ${budget.used} bytes of bodies are held`, { "Retry-After": "1" }));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: BodyRefusedError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      release();
      req.pause();
      reject(err);
    };
    const timer = setTimeout(() => fail(refused(408, "body-timeout", `${limit.route} body not received within ${limit.deadlineMs} ms`)), limit.deadlineMs);
    getRawBody(req, { limit: limit.maxBytes, length: declared }, (err, body) => {
      if (!err) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        return resolve({ body, release });
      }
      const type = (err as { type?: string }).type;
      if (type === "entity.too.large") fail(tooLarge(limit, `${limit.route} body over ${limit.maxBytes} bytes`));
      else if (type === "request.size.invalid") fail(refused(400, "bad-length", `${limit.route} body shorter or longer than its Content-Length`));
      else fail(refused(400, "body-aborted", `${limit.route} body: ${err.message}`));
    });
  });
}
