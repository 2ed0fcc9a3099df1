/**
 * A shop of N synthetic products in a migrated database, written as the webhook path writes them
 * (same hashes, so an update that changes only the price needs no embedding), with synthetic
 * clustered vectors at the real dimension (no image embedding), and the shop's index saved to
 * DATA_DIR as a web process saves it. Used by the soak and the hostile-mix runs.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseProductNode, restProductToNode } from "../../app/catalog/product-node";
import { rowData } from "../../app/catalog/product-repository.server";
import { createPrismaClient } from "../../app/db.server";
import { COLOR_DIM } from "../../app/embedding/image/color-signature.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../../app/embedding/models/model-registry";
import { TEXT_DIM } from "../../app/embedding/text/text-vector";
import { toBytes } from "../../app/embedding/vector-codec";
import { CURRENT_IMAGE_SUFFIX, imageVectorKey, textVectorKey } from "../../app/embedding/vector-versions";
import { syntheticCatalog } from "./synthetic-catalog";
import { SIDECAR_FILE } from "../../app/live-index/catalog-sidecar.server";
import { LiveCatalogs } from "../../app/live-index/live-catalogs.server";
import { migrateDatabase } from "../setup";

export interface SyntheticShop {
  shop: string;
  n: number;
  dir: string;
  dbUrl: string;
  dataDir: string;
}

/** The product id of the i-th synthetic product. */
export const idOf = (i: number) => String(7_000_000_000 + i);
const BASE_TIME = Date.parse("2026-01-01T00:00:00Z");

/** A products/update payload in Shopify's REST shape. */
export function restPayload(i: number, opts: { price: string; updatedAt: string; title?: string }) {
  const id = Number(idOf(i));
  const types = ["Shirts", "Bags", "Mugs", "Watches", "Shoes", "Hats", "Lamps", "Chairs"];
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Product/${id}`,
    title: opts.title ?? `Soak Product ${i}`,
    handle: `soak-product-${i}`,
    body_html: `<p>Product ${i} of the soak shop.</p>`,
    product_type: types[i % types.length],
    vendor: `Vendor ${i % 13}`,
    tags: `Soak, Group ${i % 50}`,
    status: "active",
    updated_at: opts.updatedAt,
    variants: [{ id: id * 10, price: opts.price, inventory_management: null, inventory_quantity: 0 }],
    images: [{ id: id * 100, src: `https://cdn.shopify.com/s/files/1/0000/0001/products/soak-${i}.jpg` }],
    image: { src: `https://cdn.shopify.com/s/files/1/0000/0001/products/soak-${i}.jpg` },
  };
}

export async function prepareSyntheticShop({ shop, n, dir, dbUrl, dataDir }: SyntheticShop): Promise<void> {
  await mkdir(dir, { recursive: true });
  await migrateDatabase(dbUrl);
  const db = createPrismaClient(dbUrl);
  try {
    // Prepared, and still current: rows of an older image recipe would be re-embedded by the
    // worker's reconciler at start, and the soak would measure that storm instead of steady state.
    const current = { shopDomain: shop, embedState: "embedded", vectorImageHash: { endsWith: CURRENT_IMAGE_SUFFIX } };
    if ((await db.product.count({ where: current })) === n && existsSync(path.join(dataDir, "indexes", shop, SIDECAR_FILE))) {
      console.log(`prepared shop found in ${dir} (${n} products)`);
      return;
    }
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const dims = { image: spec.dim, color: COLOR_DIM, text: TEXT_DIM };
    console.log(`preparing ${n} products at ${dims.image}+${dims.color}+${dims.text} in ${dir} …`);
    const t0 = performance.now();
    const synthetic = syntheticCatalog({ n, dims, clusters: 100, noise: 1.2, seed: 7 });
    await db.product.deleteMany({ where: { shopDomain: shop } });
    await db.shop.upsert({ where: { domain: shop }, create: { domain: shop, catalogVersion: 1 }, update: { catalogVersion: 1, uninstalledAt: null } });
    const now = new Date();
    for (let i = 0; i < n; i += 500) {
      await db.product.createMany({
        data: synthetic.slice(i, i + 500).map((p, j) => {
          const k = i + j;
          const record = parseProductNode(restProductToNode(restPayload(k, { price: p.attrs.price.toFixed(2), updatedAt: new Date(BASE_TIME).toISOString() })));
          return {
            shopDomain: shop,
            id: record.id,
            ...rowData(record, "shopify"),
            embedState: "embedded",
            embeddedAt: now,
            modelId: spec.id,
            vectorTextHash: textVectorKey(record.textHash),
            vectorImageHash: imageVectorKey(record.imageHash),
            imageVector: new Uint8Array(toBytes(p.vectors.image!)),
            colorVector: new Uint8Array(toBytes(p.vectors.color!)),
            textVector: new Uint8Array(toBytes(p.vectors.text!)),
          };
        }),
      });
    }
    console.log(`rows: ${((performance.now() - t0) / 1000).toFixed(1)} s; building and saving the index as a web process does …`);
    const catalogs = new LiveCatalogs({ db, dataDir, imageModelId: spec.id, imageDim: spec.dim });
    await catalogs.save(await catalogs.get(shop));
    await catalogs.close();
    console.log(`prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await db.$disconnect();
  }
}
