/**
 * Typed, user-presentable errors for image input. Every failure of image
 * preprocessing surfaces as one of these; raw decoder errors never escape.
 */
export type ImageInputErrorCode =
  | "empty"
  | "too_large"
  | "too_many_pixels"
  | "unsupported_format"
  | "corrupt";

export const IMAGE_INPUT_MESSAGES: Record<ImageInputErrorCode, string> = {
  empty: "The uploaded file is empty.",
  too_large: "The image file is too large.",
  too_many_pixels: "The image has too many pixels.",
  unsupported_format:
    "This file type is not supported. Please upload a JPEG, PNG, WebP, GIF, AVIF or TIFF photo.",
  corrupt: "The image could not be read; the file may be damaged or incomplete.",
};

export class ImageInputError extends Error {
  constructor(
    public readonly code: ImageInputErrorCode,
    message: string = IMAGE_INPUT_MESSAGES[code],
  ) {
    super(message);
    this.name = "ImageInputError";
  }
}

export function isImageInputError(e: unknown): e is ImageInputError {
  return e instanceof ImageInputError;
}
