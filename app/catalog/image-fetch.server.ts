/**
 * Fetches a product image for embedding, under a policy:
 * - `file:` URLs only when the product came from the operator's own import command;
 * - http(s) only, with a timeout and a byte limit;
 * - in production, private/loopback/link-local addresses are refused (no SSRF) and, when an
 *   allow-list is set, only those hosts (Shopify's CDN by default) are fetched.
 */
import { lookup } from "node:dns/promises";
import { readFile, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";

export type ImageFetchErrorCode = "refused" | "not_found" | "timeout" | "too_large" | "http_error" | "network";

export class ImageFetchError extends Error {
  constructor(
    public readonly code: ImageFetchErrorCode,
    message: string,
    /** The HTTP status, for "http_error". */
    public readonly status?: number,
  ) {
    super(message);
    this.name = "ImageFetchError";
  }

  /**
   * Worth trying again later: the network or the image host failing for a moment (a reset or
   * refused connection, a timeout, 5xx, 408, 429) — not the image itself being refused, missing or too large.
   */
  get transient(): boolean {
    return this.code === "network" || this.code === "timeout" || (this.code === "http_error" && (this.status === undefined || this.status >= 500 || this.status === 408 || this.status === 429));
  }
}

export interface ImageFetchPolicy {
  allowLocalFiles: boolean;
  allowPrivateAddresses: boolean;
  /** Host names (exact, or ".suffix") allowed; null = any public host. */
  allowedHosts: string[] | null;
  timeoutMs: number;
  maxBytes: number;
}

export function defaultImageFetchPolicy(env: NodeJS.ProcessEnv = process.env): Omit<ImageFetchPolicy, "allowLocalFiles"> {
  const production = env.NODE_ENV === "production";
  const hosts = env.IMAGE_HOST_ALLOWLIST?.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  return {
    allowPrivateAddresses: env.IMAGE_FETCH_ALLOW_PRIVATE ? env.IMAGE_FETCH_ALLOW_PRIVATE === "1" : !production,
    allowedHosts: hosts?.length ? hosts : production ? ["cdn.shopify.com", ".shopifycdn.com", ".shopifycdn.net"] : null,
    timeoutMs: Number(env.IMAGE_FETCH_TIMEOUT_MS ?? 10_000),
    maxBytes: Number(env.IMAGE_MAX_BYTES ?? 15 * 1024 * 1024),
  };
}

/**
 * True unless `ip` is a public unicast address (ipaddr.js' special ranges: private, loopback,
 * link-local, CGNAT, multicast, reserved, unique-local, …). IPv6 forms that carry an IPv4 address
 * are refused outright — IPv4-mapped (::ffff:a.b.c.d, also written ::ffff:7f00:1) is judged as
 * its IPv4 address, and IPv4-compatible (::a.b.c.d, all of ::/8), NAT64 (64:ff9b::/96,
 * 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32) are not "unicast" ranges — so no
 * spelling reaches 127.0.0.1 or 169.254.169.254. Anything that does not parse is refused too.
 */
export function isPrivateAddress(ip: string): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ""));
  } catch {
    return true;
  }
  if (addr.kind() === "ipv6") {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return isPrivateAddress(v6.toIPv4Address().toString());
    // ::/8 is reserved (IPv4-compatible ::a.b.c.d, ::1, ::); ipaddr.js calls most of it "unicast".
    if (v6.match(IPV6_RESERVED_ZERO)) return true;
  }
  return addr.range() !== "unicast";
}

const IPV6_RESERVED_ZERO = ipaddr.parseCIDR("::/8");

function hostAllowed(host: string, allowed: string[] | null): boolean {
  if (!allowed) return true;
  const h = host.toLowerCase();
  return allowed.some((a) => (a.startsWith(".") ? h.endsWith(a) : h === a));
}

export async function fetchImageBytes(url: string, policy: ImageFetchPolicy): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ImageFetchError("refused", `not a URL: ${url.slice(0, 200)}`);
  }
  if (parsed.protocol === "file:") {
    if (!policy.allowLocalFiles) throw new ImageFetchError("refused", "local files are only read for operator imports");
    const path = fileURLToPath(parsed);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw new ImageFetchError("not_found", `image file not found: ${path}`);
    if (info.size > policy.maxBytes) throw new ImageFetchError("too_large", `image file is ${info.size} bytes, over the ${policy.maxBytes}-byte limit`);
    return readFile(path);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new ImageFetchError("refused", `unsupported image URL scheme ${parsed.protocol}`);
  if (!hostAllowed(parsed.hostname, policy.allowedHosts)) throw new ImageFetchError("refused", `image host ${parsed.hostname} is not allowed`);
  if (!policy.allowPrivateAddresses) {
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
    if (addresses.length === 0) throw new ImageFetchError("network", `cannot resolve ${host}`);
    if (addresses.some(isPrivateAddress)) throw new ImageFetchError("refused", `image host ${host} resolves to a private address`);
  }

  let res: Response;
  try {
    res = await fetch(parsed, { signal: AbortSignal.timeout(policy.timeoutMs), redirect: policy.allowPrivateAddresses ? "follow" : "error" });
  } catch (err) {
    const name = (err as Error).name;
    if (name === "TimeoutError" || name === "AbortError") throw new ImageFetchError("timeout", `image download timed out after ${policy.timeoutMs} ms`);
    throw new ImageFetchError("network", `image download failed: ${(err as Error).message}`);
  }
  if (res.status === 404 || res.status === 410) throw new ImageFetchError("not_found", `image not found (HTTP ${res.status})`);
  if (!res.ok) throw new ImageFetchError("http_error", `image download failed with HTTP ${res.status}`, res.status);
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > policy.maxBytes) throw new ImageFetchError("too_large", `image is ${declared} bytes, over the ${policy.maxBytes}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > policy.maxBytes) throw new ImageFetchError("too_large", `image is over the ${policy.maxBytes}-byte limit`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof ImageFetchError) throw err;
    throw new ImageFetchError("timeout", `image download interrupted: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}
