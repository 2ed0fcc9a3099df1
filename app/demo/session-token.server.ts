/**
 * Demo only: mints the session token (JWT) that Shopify's admin would hand the embedded app via
 * App Bridge, so the real `authenticate.admin` path runs without Shopify in the loop.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";

export async function mintSessionToken(opts: { shop: string; apiKey: string; apiSecret: string; userId?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ dest: `https://${opts.shop}`, sid: randomUUID() })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(`https://${opts.shop}/admin`)
    .setAudience(opts.apiKey)
    .setSubject(opts.userId ?? "1")
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + 60)
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(opts.apiSecret));
}

export function adminHost(shop: string): string {
  return Buffer.from(`admin.shopify.com/store/${shop.replace(/\.myshopify\.com$/, "")}`).toString("base64url");
}
