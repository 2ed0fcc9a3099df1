/**
 * Shopify app proxy signature check, synchronous and without a database round trip: the same
 * algorithm as `shopify.api.utils.validateHmac(query, { signator: "appProxy" })` in
 * @shopify/shopify-api (query parameters except `signature`, sorted by name with localeCompare,
 * `name=value` with repeated values joined by ",", concatenated, HMAC-SHA256 hex; timestamp within
 * 90 s), compared in constant time. proxy-signature.server.test.ts checks it against Shopify's.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Shopify's tolerance (HMAC_TIMESTAMP_PERMITTED_CLOCK_TOLERANCE_SEC in @shopify/shopify-api). */
export const TIMESTAMP_TOLERANCE_SEC = 90;

export function appProxyMessage(params: URLSearchParams): string {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) {
    if (k === "signature") continue;
    const list = grouped.get(k);
    if (list) list.push(v);
    else grouped.set(k, [v]);
  }
  const keys = [...grouped.keys()].sort((a, b) => a.localeCompare(b));
  let message = "";
  for (const k of keys) message += `${k}=${grouped.get(k)!.join(",")}`;
  return message;
}

export function verifyAppProxySignature(params: URLSearchParams, secret: string, nowMs = Date.now()): boolean {
  const signature = params.get("signature");
  if (!signature || !secret || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const ts = Number(params.get("timestamp"));
  if (!Number.isFinite(ts) || Math.abs(Math.trunc(nowMs / 1000) - ts) > TIMESTAMP_TOLERANCE_SEC) return false;
  const expected = createHmac("sha256", secret).update(appProxyMessage(params)).digest();
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}
