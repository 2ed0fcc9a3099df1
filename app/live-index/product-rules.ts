/**
 * A shop's per-product pins and excludes (ProductRule rows) as the live catalog holds them: loaded
 * by shop-state.server.ts, applied by the ranking (app/ranking/similar.ts).
 */

export interface ProductRules {
  pins: string[];
  excludes: Set<string>;
}

export type ShopRules = Map<string, ProductRules>;

export function rulesFromRows(rows: { productId: string; targetId: string; kind: string }[]): ShopRules {
  const out: ShopRules = new Map();
  for (const r of rows) {
    let e = out.get(r.productId);
    if (!e) out.set(r.productId, (e = { pins: [], excludes: new Set() }));
    if (r.kind === "pin") e.pins.push(r.targetId);
    else if (r.kind === "exclude") e.excludes.add(r.targetId);
  }
  return out;
}
