/**
 * The models the workers of this configuration embed with, as the catalog counts judge products
 * (catalog-import --wait, the demo): the configured image model when its file is in MODELS_DIR,
 * else no image model (the workers run on the colour fallback, which does not re-embed a catalog
 * a real model made, so any image model counts); the configured text model when its file is
 * there, else the built-in hashed vector (what the workers fall back to).
 * A cheap look at the files, not a load: the workers say themselves when a file does not load.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { ImageModelChoice, TextModelChoice } from "../embedding/models/model-choice";
import { IMAGE_MODEL_IDS, TEXT_MODEL_IDS } from "../embedding/models/model-choice";
import { getModelSpec, getTextModelSpec } from "../embedding/models/model-registry";
import type { VectorModels } from "../embedding/vector-versions";

export function expectedVectorModels(cfg: { modelsDir: string; imageModel: ImageModelChoice; textModel: TextModelChoice }): VectorModels {
  const present = (id: string | undefined, fileName: (id: string) => string) => (id && existsSync(path.join(cfg.modelsDir, fileName(id))) ? id : undefined);
  return {
    textModelId: present(TEXT_MODEL_IDS[cfg.textModel], (id) => getTextModelSpec(id).fileName),
    imageModelId: present(IMAGE_MODEL_IDS[cfg.imageModel], (id) => getModelSpec(id).fileName),
  };
}
