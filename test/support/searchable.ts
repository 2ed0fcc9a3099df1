/**
 * "Every product searchable exactly once", as a shopper sees it: each of the shop's products (read
 * from the database, the source of truth) answers /proxy/similar, no answer names a product twice
 * or itself, and together the answers cover the whole catalog. Used by the fault tests.
 */
import { expect } from "vitest";
import type { Db } from "../../app/db.server";
import { signedUrl } from "./app-proxy-client";

export async function expectSearchableOnce(baseUrl: string, db: Db, shop: string): Promise<void> {
  const ids = (await db.product.findMany({ where: { shopDomain: shop }, select: { id: true } })).map((p) => p.id).sort();
  const seen = new Set<string>();
  for (const id of ids) {
    const res = await fetch(signedUrl(baseUrl, "similar", shop, { product_id: id, limit: "50" }));
    expect([id, res.status]).toEqual([id, 200]);
    const got = ((await res.json()) as { products: { id: string }[] }).products.map((p) => p.id);
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got).size).toBe(got.length);
    expect(got).not.toContain(id);
    seen.add(id);
    got.forEach((x) => seen.add(x));
  }
  expect([...seen].sort()).toEqual(ids);
}
