/**
 * The text and image embedders a process should use, from its configuration (TEXT_MODEL,
 * IMAGE_MODEL; see model-choice.ts). An optional model (MiniLM, CLIP) is loaded only after
 * its files verify against the registry's SHA-256 pins; when it is not installed or is corrupt,
 * the default is used instead and `warning` says, in one line, why and how to install it.
 *
 * Used by the worker (jobs/worker.ts: product image and text vectors; the reconciler re-embeds rows
 * made with other models) and the web process (app/web-services.server.ts: photo search, text
 * search, and the models its live catalogs index). Each logs `warning` in one line. Images are
 * prepared for `ImageEmbedder.spec`; the text model's id is part of the stored text key
 * (vector-versions.ts). With TEXT_MODEL=clip and IMAGE_MODEL=clip a text query searches the photos
 * (app/ranking/text.server.ts).
 */
import { COLOR_FALLBACK_MODEL_ID, createImageEmbedder, type ImageEmbedder } from "./image/image-embedder.server";
import { readVerifiedFiles } from "./models/model-files.server";
import {
  IMAGE_MODEL_IDS,
  PACK_OF_CHOICE,
  TEXT_MODEL_IDS,
  type ImageModelChoice,
  type TextModelChoice,
} from "./models/model-choice";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec, getTextModelSpec } from "./models/model-registry";
import { TextModelError, createHashedTextEmbedder, loadTextEmbedder, type TextEmbedder } from "./text/text-embedder.server";

export interface Configured<T> {
  embedder: T;
  /** Set when the configured model could not be used: why, how to fix it, and what is used instead. */
  warning?: string;
}

export interface ConfiguredOptions {
  modelsDir: string;
  intraOpThreads?: number;
  /** The image model runs on a worker thread (image-embedder.server.ts): the web process. */
  offMainThread?: boolean;
}

const installHint = (choice: string) => `run \`npx tsx scripts/models.ts install ${PACK_OF_CHOICE[choice as "clip"]}\``;

export async function createConfiguredTextEmbedder(
  choice: TextModelChoice,
  opts: ConfiguredOptions,
): Promise<Configured<TextEmbedder>> {
  const id = TEXT_MODEL_IDS[choice];
  if (!id) return { embedder: createHashedTextEmbedder() };
  try {
    return { embedder: await loadTextEmbedder(opts.modelsDir, getTextModelSpec(id), opts) };
  } catch (e) {
    if (!(e instanceof TextModelError)) throw e;
    return {
      embedder: createHashedTextEmbedder(),
      warning: `TEXT_MODEL=${choice} unavailable: ${e.message}; ${installHint(choice)}. Using the built-in hashed text vector.`,
    };
  }
}

export async function createConfiguredImageEmbedder(
  choice: ImageModelChoice,
  opts: ConfiguredOptions,
): Promise<Configured<ImageEmbedder>> {
  const fallback = () => createImageEmbedder({ modelsDir: opts.modelsDir, intraOpThreads: opts.intraOpThreads, offMainThread: opts.offMainThread });
  if (choice === "mobilenetv2") {
    const embedder = await fallback();
    if (embedder.modelId !== COLOR_FALLBACK_MODEL_ID) return { embedder };
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    return {
      embedder,
      warning: `image model ${spec.fileName} is not in ${opts.modelsDir}: run \`npm run setup\` (with MODELS_MIRROR=<folder> where model hubs are unreachable). Using the colour-only fallback meanwhile.`,
    };
  }
  const spec = getModelSpec(IMAGE_MODEL_IDS[choice]);
  const check = await readVerifiedFiles(opts.modelsDir, [spec]);
  let problem = check.ok ? undefined : check.message;
  if (!problem) {
    try {
      return { embedder: await createImageEmbedder({ modelsDir: opts.modelsDir, modelId: spec.id, intraOpThreads: opts.intraOpThreads, offMainThread: opts.offMainThread }) };
    } catch (e) {
      problem = `${spec.fileName}: not a loadable ONNX model (${String((e as Error).message).split("\n")[0]})`;
    }
  }
  const embedder = await fallback();
  return {
    embedder,
    warning: `IMAGE_MODEL=${choice} unavailable: ${problem}; ${installHint(choice)}. Using ${embedder.modelId}.`,
  };
}
