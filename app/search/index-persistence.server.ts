/**
 * On-disk snapshot of a shop index: a set of generation-named files plus a
 * `manifest.json` that names them with their sizes and SHA-256 checksums.
 *
 * Write protocol (crash safe): every file is written as `<name>.tmp`, renamed
 * to its final, generation-unique name, and only then is the manifest written
 * to `manifest.json.tmp` and atomically renamed over `manifest.json`. A reader
 * therefore sees either the old or the new complete generation. Files of the
 * previous generation are removed afterwards (best effort).
 *
 * Read protocol: any missing file, size or checksum mismatch, or unparsable
 * JSON makes `readSnapshot` return null; it never throws. Checksums are
 * verified before the native hnswlib loader ever sees the index file, so a
 * truncated or garbage file cannot reach (and crash) native code.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdirSync } from "node:fs";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

export const MANIFEST_FILE = "manifest.json";
const FORMAT = "lookalike-shop-vector-index";
const FORMAT_VERSION = 1;

interface FileEntry {
  name: string;
  size: number;
  sha256: string;
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  files: { index: FileEntry; meta: FileEntry; quant: FileEntry };
}

export interface SnapshotInput {
  /** Writes the native index to `filePath` synchronously (consistent with meta/quant). */
  writeIndexSync: (filePath: string) => void;
  meta: unknown;
  quant: Buffer;
}

export interface LoadedSnapshot {
  indexPath: string;
  meta: unknown;
  quant: Buffer;
}

function sha256(buf: Buffer | string): string {
  return createHash("sha256").update(buf).digest("hex");
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

async function writeDurable(file: string, data: Buffer | string): Promise<void> {
  const fh = await open(file, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8")) as Manifest;
    if (m?.format !== FORMAT || m.version !== FORMAT_VERSION || !m.files) return null;
    for (const key of ["index", "meta", "quant"] as const) {
      const f = m.files[key];
      if (
        !f ||
        typeof f.name !== "string" ||
        f.name !== path.basename(f.name) ||
        typeof f.size !== "number" ||
        typeof f.sha256 !== "string"
      ) {
        return null;
      }
    }
    return m;
  } catch {
    return null;
  }
}

/**
 * Writes a snapshot. The synchronous part (native index write) happens before
 * the first `await`, so it reflects the exact state at call time together with
 * `meta` and `quant`, which the caller built synchronously too.
 */
export async function writeSnapshot(dir: string, snap: SnapshotInput): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const gen = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const names = { index: `index-${gen}.hnsw`, meta: `meta-${gen}.json`, quant: `quant-${gen}.bin` };
  const tmp = (n: string) => path.join(dir, `${n}.tmp`);
  const fin = (n: string) => path.join(dir, n);

  snap.writeIndexSync(tmp(names.index));
  const metaJson = JSON.stringify(snap.meta);
  try {
    await fsyncFile(tmp(names.index));
    await writeDurable(tmp(names.meta), metaJson);
    await writeDurable(tmp(names.quant), snap.quant);

    const indexSize = (await stat(tmp(names.index))).size;
    const indexSha = await sha256File(tmp(names.index));
    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      files: {
        index: { name: names.index, size: indexSize, sha256: indexSha },
        meta: { name: names.meta, size: Buffer.byteLength(metaJson), sha256: sha256(metaJson) },
        quant: { name: names.quant, size: snap.quant.length, sha256: await sha256File(tmp(names.quant)) },
      },
    };
    for (const n of Object.values(names)) await rename(tmp(n), fin(n));

    const previous = await readManifest(dir);
    await writeDurable(tmp(MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    await rename(tmp(MANIFEST_FILE), fin(MANIFEST_FILE));

    if (previous) {
      for (const f of Object.values(previous.files)) {
        if (!Object.values(names).includes(f.name)) await rm(fin(f.name), { force: true });
      }
    }
  } catch (err) {
    for (const n of Object.values(names)) await rm(tmp(n), { force: true }).catch(() => {});
    throw err;
  }
}

/** Reads and verifies a snapshot; null when missing, truncated or corrupt. */
export async function readSnapshot(dir: string): Promise<LoadedSnapshot | null> {
  try {
    const m = await readManifest(dir);
    if (!m) return null;
    const { index, meta, quant } = m.files;
    const indexPath = path.join(dir, index.name);
    const st = await stat(indexPath);
    if (st.size !== index.size) return null;
    if ((await sha256File(indexPath)) !== index.sha256) return null;

    const metaBuf = await readFile(path.join(dir, meta.name));
    if (metaBuf.length !== meta.size || sha256(metaBuf) !== meta.sha256) return null;
    // Large files are hashed as they stream in (a few ms at a time), not in one blocking call:
    // a 20k-product shop's int8 store is ~40 MB, ~100 ms of SHA-256 on this machine.
    const quantPath = path.join(dir, quant.name);
    if ((await stat(quantPath)).size !== quant.size || (await sha256File(quantPath)) !== quant.sha256) return null;
    const quantBuf = await readFile(quantPath);
    if (quantBuf.length !== quant.size) return null;

    return { indexPath, meta: JSON.parse(metaBuf.toString("utf8")), quant: quantBuf };
  } catch {
    return null;
  }
}
