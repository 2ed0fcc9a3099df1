/**
 * Reads the shopper's photo from a multipart request (field `image`) into memory — never to disk
 * — within a byte limit and a deadline (PHOTO_UPLOAD_DEADLINE_MS), and prepares it for embedding.
 * Every bad input is a ProxyError. Two steps, so the storefront reads the upload before it takes
 * a photo-search slot (proxy-handlers.server.ts): receivePhotoUpload, then preparePhotoUpload.
 */
import { MaxPartSizeExceededError, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from "@remix-run/node";
import { isImageInputError } from "../embedding/image/image-errors";
import { decodePhoto, prepareImage, type DecodedPhoto, type PreparedImage } from "../embedding/image/image-preprocess.server";
import type { ModelSpec } from "../embedding/models/model-registry";
import { MAX_PHOTO_BYTES, PHOTO_BODY_MAX_BYTES, photoUploadDeadlineMs } from "../http/body-limits";
import { BodyTimeoutError, BodyTooLargeError, readBoundedBody } from "../http/bounded-body";
import { ProxyError } from "./proxy-errors.server";

export const MAX_UPLOAD_BYTES = MAX_PHOTO_BYTES;
export const MAX_UPLOAD_PIXELS = 40_000_000;

const STATUS_BY_CODE: Record<string, number> = { empty: 400, corrupt: 400, unsupported_format: 415, too_large: 413, too_many_pixels: 413 };

const tooLarge = () => new ProxyError(413, "too_large", `The photo is too large (limit ${MAX_UPLOAD_BYTES / 1024 / 1024} MB).`);

/** `model`: the image embedder's model (ImageEmbedder.spec), whose fit and normalisation the photo gets. */
export async function readPhotoUpload(request: Request, model?: ModelSpec): Promise<PreparedImage> {
  return preparePhotoUpload(await receivePhotoUpload(request), model);
}

/** The photo's bytes from the multipart body, the whole body read first within its cap and deadline, whatever its framing. */
export async function receivePhotoUpload(request: Request): Promise<Buffer> {
  return (await receivePhotoForm(request, [])).image;
}

/** The photo's bytes and the named text fields of the same multipart body (the admin preview's box and words). */
export async function receivePhotoForm(request: Request, fieldNames: readonly string[]): Promise<{ image: Buffer; fields: URLSearchParams }> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data;.*boundary=/i.test(type)) {
    throw new ProxyError(400, "invalid_upload", "Send the photo as multipart/form-data with a field named \"image\".");
  }
  let bytes: Buffer;
  try {
    bytes = await readBoundedBody(request, PHOTO_BODY_MAX_BYTES, { deadlineMs: photoUploadDeadlineMs() });
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw tooLarge();
    if (err instanceof BodyTimeoutError) throw new ProxyError(408, "request_timeout", "The photo took too long to arrive; please try again.");
    throw new ProxyError(400, "invalid_upload", "The upload could not be read.");
  }
  const buffered = new Request(request.url, { method: "POST", headers: { "content-type": type }, body: bytes as unknown as ArrayBuffer });
  let form: FormData;
  try {
    form = await unstable_parseMultipartFormData(buffered, unstable_createMemoryUploadHandler({ maxPartSize: MAX_UPLOAD_BYTES, filter: ({ name }) => name === "image" || fieldNames.includes(name) }));
  } catch (err) {
    if (err instanceof MaxPartSizeExceededError) throw tooLarge();
    throw new ProxyError(400, "invalid_upload", "The upload could not be read as multipart/form-data.");
  }
  const file = form.get("image");
  if (!file || typeof file === "string") throw new ProxyError(400, "missing_image", "No photo found: send it in a file field named \"image\".");
  const fields = new URLSearchParams();
  for (const name of fieldNames) {
    const v = form.get(name);
    if (typeof v === "string") fields.set(name, v);
  }
  return { image: Buffer.from(await (file as Blob).arrayBuffer()), fields };
}

/** Decodes and prepares received photo bytes for the embedder (CPU work: run it inside the admission). */
export async function preparePhotoUpload(bytes: Buffer, model?: ModelSpec): Promise<PreparedImage> {
  try {
    return await prepareImage(bytes, { maxBytes: MAX_UPLOAD_BYTES, maxPixels: MAX_UPLOAD_PIXELS, model });
  } catch (err) {
    if (isImageInputError(err)) throw new ProxyError(STATUS_BY_CODE[err.code] ?? 400, err.code, err.message);
    throw err;
  }
}

/** Decodes received photo bytes (EXIF-oriented 8-bit RGB) for a region search (CPU work: run it inside the admission). */
export async function decodePhotoUpload(bytes: Buffer, model?: ModelSpec): Promise<DecodedPhoto> {
  try {
    return await decodePhoto(bytes, { maxBytes: MAX_UPLOAD_BYTES, maxPixels: MAX_UPLOAD_PIXELS, model });
  } catch (err) {
    if (isImageInputError(err)) throw new ProxyError(STATUS_BY_CODE[err.code] ?? 400, err.code, err.message);
    throw err;
  }
}
