/**
 * Generated products (synthetic-catalog.ts) as the Product rows an embedded catalog has — vectors in
 * the rows, as the worker leaves them — for benchmarks and tests that need a searchable shop without
 * running the worker: `db.product.createMany({ data: embeddedRows(...) })`.
 */
import { toBytes } from "../../app/embedding/vector-codec";
import type { SyntheticProduct } from "./synthetic-catalog";

export interface EmbeddedRowOptions {
  /** The image model the vectors are for (the web process indexes only its own model's rows). */
  modelId: string;
  /** Row id of the i-th product (default 1000 + i). */
  idOf?: (i: number) => string;
  /** A photo URL per row (default none). */
  imageUrl?: (i: number) => string;
  now?: Date;
}

export function embeddedRows(shop: string, products: readonly SyntheticProduct[], opts: EmbeddedRowOptions) {
  const now = opts.now ?? new Date();
  const idOf = opts.idOf ?? ((i: number) => String(1000 + i));
  return products.map((p, i) => ({
    shopDomain: shop,
    id: idOf(i),
    handle: `p-${i}`,
    title: `Product ${i}`,
    productType: p.attrs.productType,
    vendor: p.attrs.vendor,
    tags: JSON.stringify(p.attrs.tags),
    price: p.attrs.price,
    priceText: p.attrs.price.toFixed(2),
    available: p.attrs.available,
    imageUrls: JSON.stringify(opts.imageUrl ? [opts.imageUrl(i)] : []),
    shopifyUpdatedAt: now,
    embedState: "embedded",
    embeddedAt: now,
    modelId: opts.modelId,
    imageVector: new Uint8Array(toBytes(p.vectors.image!)),
    colorVector: new Uint8Array(toBytes(p.vectors.color!)),
    ...(p.vectors.text ? { textVector: new Uint8Array(toBytes(p.vectors.text)) } : {}),
  }));
}
