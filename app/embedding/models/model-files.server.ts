/**
 * Makes the default image model available on disk, idempotently:
 *
 *  1. derived file + stamp present and the derived file's SHA-256 matches the
 *     stamp (written when it was derived from a verified source) -> ready;
 *  2. else obtain the source model: already in modelsDir and verified, or copied
 *     from `mirrorDir`, or downloaded from its upstream URLs (with timeout);
 *     every source is checked against the registry SHA-256 and rejected with a
 *     clear message on mismatch;
 *  3. derive the pooled model (graph edit), write it atomically, write the stamp.
 *
 * Never throws for expected failures (offline, corrupt file, missing mirror):
 * returns status "fallback" with a one-line human message instead.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { DEFAULT_IMAGE_MODEL_ID, getModelPack, getModelSpec, type ModelSpec, type PinnedFile } from "./model-registry";
import { deriveEmbeddingModel } from "./onnx-pooled-features.server";

export interface EnsureImageModelOptions {
  modelsDir: string;
  mirrorDir?: string;
  allowDownload?: boolean;
  log?: (msg: string) => void;
  /** Per-URL download timeout; default 60 s. */
  downloadTimeoutMs?: number;
}

export interface EnsureImageModelResult {
  status: "ready" | "fallback";
  modelId: string;
  path?: string;
  message: string;
}

interface Stamp {
  modelId: string;
  sha256: string;
  sourceSha256: string;
}

export function sha256Hex(buf: Uint8Array): string {
  return createHash("sha256").update(buf).digest("hex");
}

async function readIfExists(p: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function writeAtomic(p: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, p);
}

export function stampPath(modelPath: string): string {
  return `${modelPath}.sha256`;
}

/**
 * True if the derived model at `p` is the registry's derivation: intact per its stamp, and the
 * output of the current graph edit (the registry pins its SHA-256), so a file left by an older
 * derivation under the same name is derived again.
 */
async function derivedIsValid(p: string, spec: ModelSpec, sourceSpec: ModelSpec): Promise<boolean> {
  const [buf, stampRaw] = await Promise.all([readIfExists(p), readIfExists(stampPath(p))]);
  if (!buf || !stampRaw) return false;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(stampRaw.toString("utf8")) as Stamp;
  } catch {
    return false;
  }
  return (
    stamp.modelId === spec.id && stamp.sourceSha256 === sourceSpec.sha256 && stamp.sha256 === sha256Hex(buf) && stamp.sha256 === spec.sha256
  );
}

function describeMismatch(where: string, got: string, spec: PinnedFile, size: number): string {
  return (
    `${where}: SHA-256 mismatch for ${spec.fileName} (got ${got.slice(0, 12)}…, ${size} bytes; ` +
    `expected ${spec.sha256.slice(0, 12)}…, ${spec.sizeBytes} bytes) — file is corrupt or a different version, not used`
  );
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function errText(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") return "timed out";
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause ? `${err?.message ?? "error"} (${cause})` : (err?.message ?? String(e));
}

/** Gets verified bytes of a pinned file (local copy, mirror, upstream), or returns the reasons it could not. */
async function obtainSource(
  opts: EnsureImageModelOptions,
  src: PinnedFile,
  log: (m: string) => void,
): Promise<{ bytes?: Buffer; problems: string[] }> {
  const problems: string[] = [];
  const local = path.join(opts.modelsDir, src.fileName);

  const existing = await readIfExists(local);
  if (existing) {
    const h = sha256Hex(existing);
    if (h === src.sha256) return { bytes: existing, problems };
    problems.push(describeMismatch(local, h, src, existing.length));
    log(problems[problems.length - 1]);
  }

  if (opts.mirrorDir) {
    const mp = path.join(opts.mirrorDir, src.fileName);
    const mb = await readIfExists(mp);
    if (!mb) {
      problems.push(`mirror ${opts.mirrorDir} has no ${src.fileName}`);
    } else {
      const h = sha256Hex(mb);
      if (h === src.sha256) {
        log(`copied ${src.fileName} from mirror ${opts.mirrorDir}`);
        await fs.mkdir(path.dirname(local), { recursive: true });
        await writeAtomic(local, mb);
        return { bytes: mb, problems };
      }
      problems.push(describeMismatch(`mirror ${mp}`, h, src, mb.length));
    }
    log(problems[problems.length - 1]);
  }

  if (opts.allowDownload !== false) {
    for (const url of src.upstreamUrls) {
      try {
        log(`downloading ${url}`);
        const b = await download(url, opts.downloadTimeoutMs ?? 60_000);
        const h = sha256Hex(b);
        if (h !== src.sha256) {
          problems.push(describeMismatch(url, h, src, b.length));
          continue;
        }
        await fs.mkdir(path.dirname(local), { recursive: true });
        await writeAtomic(local, b);
        return { bytes: b, problems };
      } catch (e) {
        problems.push(`${new URL(url).host}: ${errText(e)}`);
      }
      log(problems[problems.length - 1]);
    }
  } else {
    problems.push("download not allowed");
  }
  return { problems };
}

export async function ensureImageModel(opts: EnsureImageModelOptions): Promise<EnsureImageModelResult> {
  const log = opts.log ?? (() => {});
  const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
  const src = getModelSpec(spec.derivedFrom!);
  const derivedPath = path.join(opts.modelsDir, spec.fileName);
  const fallback = (message: string): EnsureImageModelResult => ({
    status: "fallback",
    modelId: "color-fallback",
    message,
  });

  try {
    await fs.mkdir(opts.modelsDir, { recursive: true });
    if (await derivedIsValid(derivedPath, spec, src)) {
      return { status: "ready", modelId: spec.id, path: derivedPath, message: `${spec.id} ready at ${derivedPath}` };
    }

    const { bytes, problems } = await obtainSource(opts, src, log);
    if (!bytes) {
      return fallback(
        `Image model ${src.fileName} unavailable (${problems.join("; ")}). ` +
          `Set MODELS_MIRROR to a folder containing ${src.fileName} (sha256 ${src.sha256.slice(0, 12)}…) ` +
          `or allow network access to ${src.upstreamUrls.map((u) => new URL(u).host).join(" / ")}. ` +
          `Using the colour-only fallback embedder meanwhile.`,
      );
    }

    const derived = deriveEmbeddingModel(bytes, { mean: spec.mean, std: spec.std });
    const derivedSha = sha256Hex(derived);
    await writeAtomic(derivedPath, derived);
    const stamp: Stamp = { modelId: spec.id, sha256: derivedSha, sourceSha256: src.sha256 };
    await writeAtomic(stampPath(derivedPath), JSON.stringify(stamp) + "\n");
    log(`derived ${spec.fileName} (${derived.length} bytes)`);
    return {
      status: "ready",
      modelId: spec.id,
      path: derivedPath,
      message: `${spec.id} derived from verified ${src.fileName} at ${derivedPath}`,
    };
  } catch (e) {
    return fallback(`Image model setup failed: ${errText(e)}. Using the colour-only fallback embedder.`);
  }
}

export interface InstallFilesResult {
  status: "ready" | "unavailable";
  /** One line, for a person: what is ready, or what is missing and how to provide it. */
  message: string;
  /** Absolute paths of the verified files, in the order given (status "ready" only). */
  paths?: string[];
}

/**
 * Makes every pinned file present and verified under `modelsDir` (each from the local copy, the
 * mirror or upstream — see obtainSource). All-or-nothing in the result: "ready" only when every
 * file verified. Never throws for expected failures.
 */
export async function installPinnedFiles(
  title: string,
  files: PinnedFile[],
  opts: EnsureImageModelOptions,
): Promise<InstallFilesResult> {
  const log = opts.log ?? (() => {});
  const paths: string[] = [];
  const missing: string[] = [];
  try {
    for (const file of files) {
      const { bytes, problems } = await obtainSource(
        { ...opts, downloadTimeoutMs: opts.downloadTimeoutMs ?? 10 * 60_000 },
        file,
        log,
      );
      if (bytes) paths.push(path.join(opts.modelsDir, file.fileName));
      else missing.push(`${file.fileName}: ${problems.join("; ")}`);
    }
  } catch (e) {
    return { status: "unavailable", message: `${title}: install failed: ${errText(e)}` };
  }
  if (missing.length) {
    const hosts = [...new Set(files.flatMap((f) => f.upstreamUrls.map((u) => new URL(u).host)))].join(" / ");
    return {
      status: "unavailable",
      message:
        `${title} unavailable (${missing.join(" | ")}). ` +
        `Put the files under MODELS_MIRROR (same relative paths: ${files.map((f) => f.fileName).join(", ")}) ` +
        `or allow network access to ${hosts}.`,
    };
  }
  return { status: "ready", message: `${title} ready in ${opts.modelsDir}`, paths };
}

/** `scripts/models.ts install clip|minilm`: every file of the pack, verified. */
export async function installModelPack(packId: string, opts: EnsureImageModelOptions): Promise<InstallFilesResult> {
  const pack = getModelPack(packId);
  return installPinnedFiles(pack.title, pack.files, opts);
}

export type VerifyResult = { ok: true; bytes: Buffer[] } | { ok: false; message: string };

/**
 * Reads pinned files from `modelsDir` and checks their SHA-256 (what a process does before
 * loading an optional model). One message for the first missing or corrupt file.
 */
export async function readVerifiedFiles(modelsDir: string, files: PinnedFile[]): Promise<VerifyResult> {
  const out: Buffer[] = [];
  for (const f of files) {
    const p = path.join(modelsDir, f.fileName);
    const buf = await readIfExists(p);
    if (!buf) return { ok: false, message: `${p} is not installed` };
    const h = sha256Hex(buf);
    if (h !== f.sha256) return { ok: false, message: describeMismatch(p, h, f, buf.length) };
    out.push(buf);
  }
  return { ok: true, bytes: out };
}
