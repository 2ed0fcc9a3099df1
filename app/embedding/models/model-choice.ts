/**
 * Which text and image models a process uses, from configuration (TEXT_MODEL, IMAGE_MODEL).
 * Defaults are the built-in ones that need no optional download: the hashed text vector and
 * MobileNetV2. Pure: parsing only (app/config.server.ts reads the environment).
 */
import { CLIP_IMAGE_MODEL_ID, CLIP_TEXT_MODEL_ID, DEFAULT_IMAGE_MODEL_ID, MINILM_TEXT_MODEL_ID } from "./model-registry";

export const TEXT_MODEL_CHOICES = ["hashed", "minilm", "clip"] as const;
export const IMAGE_MODEL_CHOICES = ["mobilenetv2", "clip"] as const;
export type TextModelChoice = (typeof TEXT_MODEL_CHOICES)[number];
export type ImageModelChoice = (typeof IMAGE_MODEL_CHOICES)[number];

/** Registry id of each choice (undefined: the built-in hashed text vector, no model file). */
export const TEXT_MODEL_IDS: Record<TextModelChoice, string | undefined> = {
  hashed: undefined,
  minilm: MINILM_TEXT_MODEL_ID,
  clip: CLIP_TEXT_MODEL_ID,
};
export const IMAGE_MODEL_IDS: Record<ImageModelChoice, string> = {
  mobilenetv2: DEFAULT_IMAGE_MODEL_ID,
  clip: CLIP_IMAGE_MODEL_ID,
};
/** `scripts/models.ts install <pack>` that provides each optional choice. */
export const PACK_OF_CHOICE: Partial<Record<TextModelChoice | ImageModelChoice, string>> = { minilm: "minilm", clip: "clip" };

export class ModelChoiceError extends Error {}

function parseChoice<T extends string>(name: string, value: string | undefined, choices: readonly T[], def: T): T {
  const v = (value ?? "").trim().toLowerCase();
  if (!v) return def;
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new ModelChoiceError(`${name} must be one of ${choices.join(", ")} (got "${value}")`);
}

export function parseTextModel(value: string | undefined): TextModelChoice {
  return parseChoice("TEXT_MODEL", value, TEXT_MODEL_CHOICES, "hashed");
}

export function parseImageModel(value: string | undefined): ImageModelChoice {
  return parseChoice("IMAGE_MODEL", value, IMAGE_MODEL_CHOICES, "mobilenetv2");
}
