/**
 * The client's address as our trusted proxies saw it. Shopify's app proxy is the socket peer and
 * appends the shopper's address to X-Forwarded-For; with a load balancer (HAProxy) in front of
 * the app there is one more hop. TRUSTED_PROXY_HOPS (default 1) says how many hops, counted from
 * the socket, are ours to trust: the answer is the address the outermost trusted proxy saw — the
 * entry it appended — and the socket's peer when the header is missing. Entries a client wrote
 * itself (further left in the header) are never used, so neither omitting the header nor
 * rotating its first entry changes a client's address.
 */
import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

export function trustedProxyHopsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TRUSTED_PROXY_HOPS ?? 1);
  return Number.isInteger(n) && n >= 0 ? n : 1;
}

/** `hops` proxies from the socket inward are trusted; returns undefined only for a socket already gone. */
export function clientAddress(req: IncomingMessage, hops: number): string | undefined {
  if (!req.socket?.remoteAddress) return undefined;
  const address = proxyaddr(req, (_addr, i) => i < hops);
  return normalize(address);
}

/** IPv4-mapped IPv6 (`::ffff:203.0.113.5`) as plain IPv4, so one client has one key. */
function normalize(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return (m ? m[1] : address).slice(0, 64);
}
