/**
 * Turns what a client sent on the request line and in Host / X-Forwarded-Host into a URL, or a
 * refusal (status + short reason) — never a throw. `new URL(req.url, "http://" + host)` threw on
 * `//`, on a Host with a space or `[::1`, and on a forbidden method's Request: a throw in the
 * request listener stops Node.
 */
import type { IncomingMessage } from "node:http";

/** Methods the app answers; the others get 405 with this list in `Allow`. */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const ALLOW_HEADER = ALLOWED_METHODS.join(", ");
/** Longer request targets get 414 (Node's own header limit, 16 KB, covers the rest of the head). */
export const MAX_URL_LENGTH = 8 * 1024;

export interface Refusal {
  status: number;
  kind: string;
  /** For the log only: may hold what the client sent. */
  detail: string;
  headers?: Record<string, string>;
  /** The answer's `error.code` / `error.message` (defaults by status in server.ts). */
  code?: string;
  message?: string;
}

export type Target = { ok: true; url: string; pathname: string } | ({ ok: false } & Refusal);

// reg-name (letters, digits, - . _ ~) or an IPv6 literal in brackets, an optional port; 255 max.
const HOST = /^(?:[A-Za-z0-9._~-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function validHost(host: string | undefined): host is string {
  return !!host && host.length <= 260 && HOST.test(host);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function requestTarget(req: IncomingMessage): Target {
  const method = req.method ?? "";
  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return { ok: false, status: 405, kind: "method", detail: `method ${method}`, headers: { Allow: ALLOW_HEADER } };
  }
  const raw = req.url ?? "";
  if (raw.length > MAX_URL_LENGTH) return { ok: false, status: 414, kind: "uri-too-long", detail: `${raw.length}-byte request target` };
  // origin-form only ("/path?query"); absolute-form and "*" are for proxies, which we are not.
  if (!raw.startsWith("/")) return { ok: false, status: 400, kind: "bad-target", detail: `request target ${raw}` };
  const host = first(req.headers.host);
  if (host !== undefined && !validHost(host)) return { ok: false, status: 400, kind: "bad-host", detail: `Host ${host}` };
  // A forwarded host that is not a host is ignored (the Host header, or localhost, stands).
  const forwarded = first(req.headers["x-forwarded-host"])?.split(",")[0]?.trim();
  const authority = validHost(forwarded) ? forwarded : (host ?? "localhost");
  let url: URL;
  try {
    // Concatenation, not URL resolution: "//x" stays a path instead of becoming a host.
    url = new URL(`http://${authority}${raw}`);
  } catch {
    return { ok: false, status: 400, kind: "bad-target", detail: `request target ${raw}` };
  }
  // A path that is not valid percent-encoding names no route, and Remix's router warned three
  // lines for each one (a free log flood): refused here.
  try {
    decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, kind: "bad-target", detail: `malformed percent-encoding in ${raw}` };
  }
  return { ok: true, url: url.href, pathname: url.pathname };
}
