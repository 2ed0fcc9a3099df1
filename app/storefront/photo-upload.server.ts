/**
 * Reads the shopper's photo from a multipart request (field `image`) into memory — never to disk
 * — within a byte limit, and prepares it for embedding. Every bad input is a ProxyError.
 */
import { MaxPartSizeExceededError, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from "@remix-run/node";
import { isImageInputError } from "../embedding/image-errors";
import { prepareImage, type PreparedImage } from "../embedding/image-preprocess.server";
import type { ModelSpec } from "../embedding/model-registry";
import { ProxyError } from "./proxy-errors.server";

export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
export const MAX_UPLOAD_PIXELS = 40_000_000;

const STATUS_BY_CODE: Record<string, number> = { empty: 400, corrupt: 400, unsupported_format: 415, too_large: 413, too_many_pixels: 413 };

/** `model`: the image embedder's model (ImageEmbedder.spec), whose fit and normalisation the photo gets. */
export async function readPhotoUpload(request: Request, model?: ModelSpec): Promise<PreparedImage> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data;.*boundary=/i.test(type)) {
    throw new ProxyError(400, "invalid_upload", "Send the photo as multipart/form-data with a field named \"image\".");
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_UPLOAD_BYTES + 64 * 1024) throw new ProxyError(413, "too_large", `The photo is too large (limit ${MAX_UPLOAD_BYTES / 1024 / 1024} MB).`);

  let form: FormData;
  try {
    form = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_UPLOAD_BYTES, filter: ({ name }) => name === "image" }));
  } catch (err) {
    if (err instanceof MaxPartSizeExceededError) throw new ProxyError(413, "too_large", `The photo is too large (limit ${MAX_UPLOAD_BYTES / 1024 / 1024} MB).`);
    throw new ProxyError(400, "invalid_upload", "The upload could not be read as multipart/form-data.");
  }
  const file = form.get("image");
  if (!file || typeof file === "string") throw new ProxyError(400, "missing_image", "No photo found: send it in a file field named \"image\".");
  const bytes = Buffer.from(await (file as Blob).arrayBuffer());
  try {
    return await prepareImage(bytes, { maxBytes: MAX_UPLOAD_BYTES, maxPixels: MAX_UPLOAD_PIXELS, model });
  } catch (err) {
    if (isImageInputError(err)) throw new ProxyError(STATUS_BY_CODE[err.code] ?? 400, err.code, err.message);
    throw err;
  }
}
