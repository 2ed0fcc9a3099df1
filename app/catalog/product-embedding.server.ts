/**
 * Embeds one product: text vector when its text (or the text model) changed, image and colour
 * vectors when its images (or the image model) changed. Images are prepared for the embedder's own
 * model (its fit, mean and std); the text vector comes from the configured TextEmbedder (the
 * hashed one gives exactly the built-in per-field vector) and its key records the text model. Idempotent: running it twice, or after a newer change, writes nothing stale (the write
 * is conditional on the hashes the job read).
 */
import type { Db } from "../db.server";
import type { ImageEmbedder } from "../embedding/image/image-embedder.server";
import { isImageInputError } from "../embedding/image/image-errors";
import { prepareImage, type PreparedImage } from "../embedding/image/image-preprocess.server";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import { packLocal } from "../embedding/image/local-features";
import { l2normalize, packVectors, toBytes } from "../embedding/vector-codec";
import { imageVectorKey, MAX_PRODUCT_IMAGES, textVectorKey } from "../embedding/vector-versions";
import { fetchImageBytes, ImageFetchError, type ImageFetchPolicy } from "./image-fetch.server";
import { markEmbedded, markEmbedFailed } from "./product-repository.server";

export interface EmbedProductDeps {
  db: Db;
  embedder: ImageEmbedder;
  textEmbedder: TextEmbedder;
  fetchPolicy: Omit<ImageFetchPolicy, "allowLocalFiles">;
  /** Told of each photo that could not be fetched or read (the worker's metrics). */
  onImageError?: (err: Error) => void;
}

export type EmbedProductResult =
  | { status: "embedded"; images: number; imageErrors: string[] }
  | { status: "skipped"; reason: string }
  | { status: "failed"; reason: string };

/** Mean of L2-normalised vectors, re-normalised: one vector for a product with several photos. */
export function meanVector(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i] += v[i];
  return l2normalize(out);
}

export interface EmbedProductOptions {
  /**
   * The job's last attempt: a photo that failed only for a moment (network, 5xx) no longer makes
   * it retry; the product is embedded from the photos that came (the others named in embedError).
   * Default true (a caller without retries).
   */
  finalAttempt?: boolean;
}

export async function embedProduct(deps: EmbedProductDeps, shop: string, productId: string, opts: EmbedProductOptions = {}): Promise<EmbedProductResult> {
  const finalAttempt = opts.finalAttempt ?? true;
  const { db } = deps;
  const row = await db.product.findUnique({ where: { shopDomain_id: { shopDomain: shop, id: productId } } });
  if (!row) return { status: "skipped", reason: "product no longer exists" };
  const textKey = textVectorKey(row.textHash, deps.textEmbedder.modelId);
  const textChanged = row.vectorTextHash !== textKey;
  const imagesChanged = row.vectorImageHash !== imageVectorKey(row.imageHash) || row.modelId !== deps.embedder.modelId;
  if (!textChanged && !imagesChanged && row.embedState === "embedded") return { status: "skipped", reason: "already embedded" };

  const update: Record<string, unknown> = {};
  if (textChanged || !row.textVector) {
    const tags = JSON.parse(row.tags) as string[];
    const [vector] = await deps.textEmbedder.embedProducts([
      { title: row.title, productType: row.productType, vendor: row.vendor, tags, description: row.descriptionText },
    ]);
    update.textVector = toBytes(vector);
  }

  const imageErrors: string[] = [];
  // The first MAX_PRODUCT_IMAGES photos (the merchant's main photos come first): each is kept as
  // its own vector for the photo search, their mean for similar products.
  const urls = (JSON.parse(row.imageUrls) as string[]).slice(0, MAX_PRODUCT_IMAGES);
  if (imagesChanged) {
    const prepared: PreparedImage[] = [];
    let transient: ImageFetchError | undefined;
    for (const url of urls) {
      try {
        const bytes = await fetchImageBytes(url, { ...deps.fetchPolicy, allowLocalFiles: row.source === "import" });
        prepared.push(await prepareImage(bytes, { model: deps.embedder.spec }));
      } catch (err) {
        if (err instanceof ImageFetchError && err.transient) transient ??= err;
        if (err instanceof ImageFetchError || isImageInputError(err)) deps.onImageError?.(err);
        if (err instanceof ImageFetchError || isImageInputError(err)) imageErrors.push(`${shortUrl(url)}: ${(err as Error).message}`);
        else throw err; // unexpected: let the job retry
      }
    }
    // No photo at all because the network or the image host failed for a moment: not the
    // product's fault. The job retries (with backoff); only when its attempts are spent is the
    // product marked failed (jobs/embed-product.job.ts › recordFinalFailure).
    if (urls.length > 0 && prepared.length === 0 && transient) throw transient;
    // Some photos came and one failed for a moment: retry while attempts remain, so the product is
    // not searchable for good without that photo (its vectors change only when its photos do).
    if (transient && !finalAttempt) throw transient;
    if (urls.length > 0 && prepared.length === 0) {
      const reason = `no usable product image (${imageErrors.join("; ")})`.slice(0, 1_000);
      await markEmbedFailed(db, shop, productId, reason, row);
      return { status: "failed", reason };
    }
    if (prepared.length > 0) {
      const embedded = await deps.embedder.embedWithLocal(prepared);
      const vectors = embedded.map((e) => e.vector);
      const local = embedded.map((e) => e.local);
      // Regional descriptors for the photo search's local re-rank, when the model makes them.
      update.localFeatures = local.every((l): l is Int8Array => !!l) ? packLocal(local) : null;
      update.imageVector = toBytes(meanVector(vectors));
      update.imageVectors = packVectors(vectors.map((v) => l2normalize(v)));
      update.colorVector = toBytes(meanVector(prepared.map((p) => p.color)));
    } else {
      update.imageVector = null;
      update.imageVectors = null;
      update.localFeatures = null;
      update.colorVector = null;
    }
    update.modelId = deps.embedder.modelId;
  }

  const written = await markEmbedded(db, shop, productId, row, {
    ...update,
    vectorTextHash: textKey,
    vectorImageHash: imageVectorKey(row.imageHash),
    embedError: imageErrors.length ? `some images skipped: ${imageErrors.join("; ")}`.slice(0, 1_000) : null,
  });
  if (!written) return { status: "skipped", reason: "product changed while embedding; a newer job handles it" };
  return { status: "embedded", images: imagesChanged ? urls.length - imageErrors.length : 0, imageErrors };
}

function shortUrl(url: string): string {
  return url.startsWith("file:") ? url.slice(url.lastIndexOf("/") + 1) : url.slice(0, 120);
}
