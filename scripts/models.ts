/**
 * Model files.
 *
 *   tsx scripts/models.ts [--mirror DIR] [--models-dir DIR] [--offline] [-v]
 *       the default image model (MobileNetV2 pooled), as before: exit 0 ready, 2 colour fallback
 *   tsx scripts/models.ts install clip|minilm [--mirror DIR] [--models-dir DIR] [--offline] [-v]
 *       an optional pack, every file verified by SHA-256: exit 0 ready, 2 unavailable
 *   tsx scripts/models.ts list
 *       the packs, their files, sizes and pins
 *
 * Defaults: MODELS_MIRROR env for the mirror, MODELS_DIR env or ./models for the target.
 * A pack's files live in <models>/<pack dir>/ and are looked for at the same relative path in
 * the mirror. Prints one line per outcome; never a stack trace for expected failures.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureImageModel, installModelPack } from "../app/embedding/models/model-files.server";
import { MODEL_PACKS } from "../app/embedding/models/model-registry";

const USAGE = "usage: models.ts [install clip|minilm] [--mirror DIR] [--models-dir DIR] [--offline] [-v] | models.ts list";

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      mirror: { type: "string" },
      "models-dir": { type: "string" },
      offline: { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
    },
    allowPositionals: true,
  });
}
try {
  parsed = parse();
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  process.exit(64);
}
const { values, positionals } = parsed;

const mirrorDir = values.mirror ?? process.env.MODELS_MIRROR ?? undefined;
const modelsDir = path.resolve(values["models-dir"] ?? process.env.MODELS_DIR ?? "./models");
const opts = {
  modelsDir,
  mirrorDir: mirrorDir ? path.resolve(mirrorDir) : undefined,
  allowDownload: !values.offline,
  log: values.verbose ? (m: string) => console.error(`  ${m}`) : undefined,
};
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

const [command, packId, ...rest] = positionals;
if (command === undefined) {
  const r = await ensureImageModel(opts);
  console.log(`${r.status === "ready" ? "✔" : "⚠"} ${r.status}: ${r.message}`);
  process.exitCode = r.status === "ready" ? 0 : 2;
} else if (command === "list" && packId === undefined) {
  for (const p of Object.values(MODEL_PACKS)) {
    console.log(`${p.id}: ${p.title} — ${p.source} (${p.licence})`);
    for (const f of p.files) {
      const pin = f.pinVerifiedHere ? "verified" : "pin NOT verified on this machine";
      console.log(`  ${f.fileName}  ${mb(f.sizeBytes)}  sha256 ${f.sha256}  (${pin})`);
    }
  }
} else if (command === "install" && packId !== undefined && packId in MODEL_PACKS && rest.length === 0) {
  const r = await installModelPack(packId, opts);
  console.log(`${r.status === "ready" ? "✔" : "⚠"} ${r.status}: ${r.message}`);
  process.exitCode = r.status === "ready" ? 0 : 2;
} else {
  const known = Object.keys(MODEL_PACKS).join("|");
  console.error(command === "install" ? `install needs one of: ${known}\n${USAGE}` : `unknown command "${positionals.join(" ")}"\n${USAGE}`);
  process.exitCode = 64;
}
