/**
 * Make the image model available: tsx scripts/models.ts [--mirror DIR] [--models-dir DIR] [--offline]
 * Defaults: MODELS_MIRROR env for the mirror, MODELS_DIR env or ./models for the target.
 * Prints one line; exit code 0 when ready, 2 when the colour fallback will be used.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureImageModel } from "../app/embedding/model-files.server.js";

const { values } = parseArgs({
  options: {
    mirror: { type: "string" },
    "models-dir": { type: "string" },
    offline: { type: "boolean", default: false },
    verbose: { type: "boolean", short: "v", default: false },
  },
  allowPositionals: false,
});

const mirrorDir = values.mirror ?? process.env.MODELS_MIRROR ?? undefined;
const modelsDir = path.resolve(values["models-dir"] ?? process.env.MODELS_DIR ?? "./models");

const r = await ensureImageModel({
  modelsDir,
  mirrorDir: mirrorDir ? path.resolve(mirrorDir) : undefined,
  allowDownload: !values.offline,
  log: values.verbose ? (m) => console.error(`  ${m}`) : undefined,
});
console.log(`${r.status === "ready" ? "✔" : "⚠"} ${r.status}: ${r.message}`);
process.exitCode = r.status === "ready" ? 0 : 2;
