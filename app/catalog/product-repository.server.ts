/**
 * Product rows: the only module that writes them (app/ and jobs/; benchmark scripts seed rows of
 * their own). Enforces the ordering rules every source of product data shares (operator import,
 * bulk sync, webhooks):
 * - a product deleted before is never resurrected by a late update (tombstone wins);
 * - an update older than the stored `updatedAt` is ignored;
 * - text or image changes reset the embedding; price, availability or variant changes do not.
 * The embedding's outcomes are written here too (markEmbedded, markEmbedFailed, markOutdated),
 * each conditional where a newer state must win, and so is the deletion of a shop's data.
 */
import type { Db } from "../db.server";
import type { Prisma } from "@prisma/client";
import { CURRENT_IMAGE_SUFFIX, currentTextSuffix, imageVectorKey, textKeyIsCurrentFor, type VectorModels } from "../embedding/vector-versions";
import type { ProductRecord } from "./product-node";

export type ProductSource = "shopify" | "import";

export interface UpsertOutcome {
  action: "created" | "updated" | "unchanged" | "stale" | "deleted";
  /** The row needs (re-)embedding: text or images differ from what the vectors were built from. */
  needsEmbedding: boolean;
}

export async function ensureShop(db: Db, domain: string, data: { name?: string; currency?: string } = {}): Promise<void> {
  await db.shop.upsert({
    where: { domain },
    create: { domain, ...data },
    update: { uninstalledAt: null, ...data },
  });
}

/** The product row columns a record sets (exported for scripts that prepare big shops without the upsert path). */
export function rowData(record: ProductRecord, source: ProductSource) {
  return {
    handle: record.handle,
    title: record.title,
    descriptionText: record.descriptionText,
    productType: record.productType,
    vendor: record.vendor,
    tags: JSON.stringify(record.tags),
    status: record.status,
    price: record.price,
    priceText: record.priceText,
    currency: record.currency,
    available: record.available,
    onlineStoreUrl: record.onlineStoreUrl,
    imageUrls: JSON.stringify(record.imageUrls),
    variants: JSON.stringify(record.variants),
    source,
    shopifyUpdatedAt: record.updatedAt,
    textHash: record.textHash,
    imageHash: record.imageHash,
  };
}

export async function upsertProduct(db: Db, shop: string, record: ProductRecord, source: ProductSource): Promise<UpsertOutcome> {
  const tombstone = await db.productTombstone.findUnique({ where: { shopDomain_id: { shopDomain: shop, id: record.id } } });
  if (tombstone) return { action: "deleted", needsEmbedding: false };

  const existing = await db.product.findUnique({
    where: { shopDomain_id: { shopDomain: shop, id: record.id } },
    select: {
      shopifyUpdatedAt: true, textHash: true, imageHash: true, vectorTextHash: true, vectorImageHash: true,
      price: true, available: true, status: true, title: true, handle: true, embedState: true, variants: true,
    },
  });
  const data = rowData(record, source);
  if (!existing) {
    await db.product.create({ data: { shopDomain: shop, id: record.id, ...data, embedState: "pending" } });
    return { action: "created", needsEmbedding: true };
  }
  if (record.updatedAt.getTime() < existing.shopifyUpdatedAt.getTime()) return { action: "stale", needsEmbedding: false };

  // Content (or recipe version) changed. Which text model made the stored vector is not this
  // writer's concern: a TEXT_MODEL change is found by the reconciler (the writer may be a web
  // process or the import CLI, which do not embed).
  const needsEmbedding = !textKeyIsCurrentFor(existing.vectorTextHash, record.textHash) || existing.vectorImageHash !== imageVectorKey(record.imageHash);
  const same =
    existing.shopifyUpdatedAt.getTime() === record.updatedAt.getTime() &&
    existing.textHash === record.textHash &&
    existing.imageHash === record.imageHash &&
    existing.price === record.price &&
    existing.available === record.available &&
    existing.variants === data.variants &&
    existing.status === record.status &&
    existing.handle === record.handle;
  if (same) return { action: "unchanged", needsEmbedding: needsEmbedding && existing.embedState !== "failed" };

  await db.product.update({
    where: { shopDomain_id: { shopDomain: shop, id: record.id } },
    data: { ...data, ...(needsEmbedding ? { embedState: "pending", embedError: null } : {}) },
  });
  return { action: "updated", needsEmbedding };
}

/** Deletes the row and leaves a tombstone so that a late update cannot bring it back. */
export async function deleteProduct(db: Db, shop: string, id: string): Promise<boolean> {
  const [, deleted] = await db.$transaction([
    db.productTombstone.upsert({ where: { shopDomain_id: { shopDomain: shop, id } }, create: { shopDomain: shop, id }, update: { deletedAt: new Date() } }),
    db.product.deleteMany({ where: { shopDomain: shop, id } }),
  ]);
  return deleted.count > 0;
}

export async function bumpCatalogVersion(db: Db, shop: string): Promise<number> {
  const s = await db.shop.update({ where: { domain: shop }, data: { catalogVersion: { increment: 1 } }, select: { catalogVersion: true } });
  return s.catalogVersion;
}

export interface CatalogCounts {
  products: number;
  /** Searchable: embedded — with the given models, when counted against models. */
  embedded: number;
  failed: number;
  /** Waiting for embedding, the outdated ones included. */
  pending: number;
  /** Embedded, but with another image model, text model or vector recipe than the given ones. */
  outdated: number;
}

/**
 * The embedded rows whose vectors are not those of `models`: another text model or text recipe,
 * an older image recipe, or — when `models.imageModelId` is given — another image model. The
 * reconciler puts them back in line; catalog counts do not call them searchable.
 */
export function outdatedVectorsWhere(models?: VectorModels): Prisma.ProductWhereInput {
  return {
    embedState: "embedded",
    OR: [
      { NOT: { vectorTextHash: { endsWith: currentTextSuffix(models?.textModelId) } } },
      { NOT: { vectorImageHash: { endsWith: CURRENT_IMAGE_SUFFIX } } },
      ...(models?.imageModelId ? [{ NOT: { modelId: models.imageModelId } }] : []),
      ...(models?.imageModelId ? [{ modelId: null }] : []),
    ],
  };
}

/**
 * How many of a shop's products are searchable, failed or waiting. Without `models` every
 * embedded row counts as searchable; with them (the models the workers embed with) only the rows
 * those models made: after a model change, "N of N searchable" means N re-embedded.
 */
export async function catalogCounts(db: Db, shop: string, models?: VectorModels): Promise<CatalogCounts> {
  const [groups, outdated] = await Promise.all([
    db.product.groupBy({ by: ["embedState"], where: { shopDomain: shop }, _count: { _all: true } }),
    models ? db.product.count({ where: { shopDomain: shop, ...outdatedVectorsWhere(models) } }) : Promise.resolve(0),
  ]);
  const by = Object.fromEntries(groups.map((g) => [g.embedState, g._count._all]));
  const embedded = (by.embedded ?? 0) - outdated;
  const failed = by.failed ?? 0;
  const pending = (by.pending ?? 0) + outdated;
  return { products: embedded + failed + pending, embedded, failed, pending, outdated };
}

/** Puts products back in line for embedding (admin retry of failures); returns their hashes for the jobs. */
export async function markForRetry(db: Db, shop: string, ids: string[]) {
  await db.product.updateMany({ where: { shopDomain: shop, id: { in: ids } }, data: { embedState: "pending", embedError: null } });
  return db.product.findMany({ where: { shopDomain: shop, id: { in: ids } }, select: { id: true, textHash: true, imageHash: true } });
}

/** The content a job read a product with: its write is conditional on them (a newer change wins). */
export interface ReadHashes {
  imageHash: string;
  textHash: string;
}

/**
 * The product's new vectors, written only if its text and images are still the ones the job read;
 * returns whether the row was written (false: it changed meanwhile, a newer job handles it).
 */
export async function markEmbedded(
  db: Db,
  shop: string,
  productId: string,
  read: ReadHashes,
  data: Omit<Prisma.ProductUpdateManyMutationInput, "embedState" | "embeddedAt">,
): Promise<boolean> {
  const written = await db.product.updateMany({
    where: { shopDomain: shop, id: productId, imageHash: read.imageHash, textHash: read.textHash },
    data: { ...data, embedState: "embedded", embeddedAt: new Date() },
  });
  return written.count > 0;
}

/**
 * The product could not be embedded: `reason` is what the admin shows. With `read`, only if the
 * product is still what the job read (a newer version gets its own job); without, whatever it is
 * now (a job that gave up after its last attempt).
 */
export async function markEmbedFailed(db: Db, shop: string, productId: string, reason: string, read?: ReadHashes): Promise<void> {
  await db.product.updateMany({
    where: { shopDomain: shop, id: productId, ...(read ? { imageHash: read.imageHash, textHash: read.textHash } : {}) },
    data: { embedState: "failed", embedError: reason },
  });
}

/** Products embedded with other models or an older vector recipe go back to pending (the reconciler); returns how many. */
export async function markOutdated(db: Db, shop: string, models?: VectorModels): Promise<number> {
  const outdated = await db.product.updateMany({ where: { shopDomain: shop, ...outdatedVectorsWhere(models) }, data: { embedState: "pending" } });
  return outdated.count;
}

/**
 * shop/redact: every row of the shop, in one transaction — products, tombstones, runs, deliveries,
 * rules, statistics, sessions, its shared index snapshot (snapshot-store.server.ts), the shop.
 */
export async function deleteShopData(db: Db, shop: string): Promise<void> {
  await db.$transaction([
    db.product.deleteMany({ where: { shopDomain: shop } }),
    db.productTombstone.deleteMany({ where: { shopDomain: shop } }),
    db.syncRun.deleteMany({ where: { shopDomain: shop } }),
    db.webhookDelivery.deleteMany({ where: { shopDomain: shop } }),
    db.productRule.deleteMany({ where: { shopDomain: shop } }),
    db.dailyStat.deleteMany({ where: { shopDomain: shop } }),
    db.productDailyStat.deleteMany({ where: { shopDomain: shop } }),
    db.session.deleteMany({ where: { shop } }),
    db.shopSnapshot.deleteMany({ where: { shop } }),
    db.snapshotChunk.deleteMany({ where: { shop } }),
    db.snapshotFile.deleteMany({ where: { shop } }),
    db.shop.deleteMany({ where: { domain: shop } }),
  ]);
}
