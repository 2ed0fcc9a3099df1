/**
 * On-disk snapshot of a shop index: a set of generation-named files plus a
 * `manifest.json` that names them with their sizes and checksums: SHA-256 (what the shared
 * snapshot store checks a file against) and CRC-32 (what a read verifies: damage, not tampering —
 * the data directory is the process's own — at ~4 GB/s against SHA-256's ~0.6 GB/s here; a 100k-
 * product shop's files are ~1.3 GB, so this is most of a restart's first answer; manifests
 * written before the CRC-32 are verified by their SHA-256).
 *
 * Write protocol (crash safe): every file is written as `<name>.tmp`, renamed
 * to its final, generation-unique name, and only then is the manifest written
 * to `manifest.json.tmp` and atomically renamed over `manifest.json`. A reader
 * therefore sees either the old or the new complete generation. Files of the
 * previous generation are removed afterwards (best effort).
 *
 * Nothing of a write runs as one long stretch on the JS thread: the native index and the int8
 * store are written by libuv's thread pool straight from the index's memory (no copy), the meta
 * JSON is made, hashed and written a piece at a time, and the files are hashed as they stream
 * back in. The caller keeps its index unchanged until `released` settles (see SnapshotWrite).
 *
 * Read protocol: any missing file, size or checksum mismatch, or unparsable
 * manifest makes `readSnapshot` return null; it never throws (the meta's bytes are
 * returned verified, and parsed by the caller a piece at a time). Checksums are
 * verified before the native hnswlib loader ever sees the index file, so a
 * truncated or garbage file cannot reach (and crash) native code.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { open, readdir, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { nextTurn } from "../shared/event-loop-turns";

export const MANIFEST_FILE = "manifest.json";
const FORMAT = "lookalike-shop-vector-index";
const FORMAT_VERSION = 1;
/**
 * A temporary file (`*.tmp`) not written for this long is what a write left when its process was
 * killed mid-save: the next save in the directory removes it (a snapshot's files are hundreds of
 * MB). A write in progress — this process's or another's sharing the directory — touches its file
 * far more often than that.
 */
export const STALE_TMP_MS = 30 * 60_000;
/** Largest piece of a file hashed and written (or read) in one go (~2 ms of SHA-256). */
const CHUNK_BYTES = 1024 * 1024;
/** Piece of the index file read and checked in one go when it is verified (~1 ms of CRC-32). */
const VERIFY_CHUNK_BYTES = 4 * CHUNK_BYTES;

interface FileEntry {
  name: string;
  size: number;
  sha256: string;
  /** CRC-32 of the file (zlib's); absent in manifests written before it was added. */
  crc32?: number;
}

/** Both checksums of bytes as they are written. */
class FileDigest {
  private readonly sha = createHash("sha256");
  private crc = 0;

  update(bytes: Uint8Array): void {
    this.sha.update(bytes);
    this.crc = crc32(bytes, this.crc);
  }

  entry(name: string, size: number): FileEntry {
    return { name, size, sha256: this.sha.digest("hex"), crc32: this.crc };
  }
}

/** A reader's check of bytes against their manifest entry: its CRC-32 when it has one, else its SHA-256. */
function verifierFor(expected: FileEntry): { update(bytes: Uint8Array): void; matches(): boolean } {
  if (expected.crc32 !== undefined) {
    let crc = 0;
    return { update: (bytes) => void (crc = crc32(bytes, crc)), matches: () => crc === expected.crc32 };
  }
  const sha = createHash("sha256");
  return { update: (bytes) => void sha.update(bytes), matches: () => sha.digest("hex") === expected.sha256 };
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  files: { index: FileEntry; meta: FileEntry; quant: FileEntry };
}

export interface SnapshotInput {
  /**
   * Starts writing the native index to `filePath` off the JS thread (hnswlib's writeIndex) and
   * settles when it is written. writeSnapshot calls it before it returns, so the file describes the
   * state `meta` and `quant` were taken from, provided the index stays unchanged until `released`.
   */
  writeIndex: (filePath: string) => Promise<void>;
  /** The int8 store's bytes, in order. May be views of live memory: written before `released`. */
  quant: Buffer[];
  /** The meta JSON, in pieces: each is hashed and written in turn (a turn of the event loop apart). */
  meta: Iterable<string>;
}

export interface SnapshotWrite {
  /**
   * Settles (never rejects) once the index and int8 files are written: from then on nothing reads
   * the caller's index, which may change again. Until then it must not (hnswlib reads the graph
   * on another thread: a mutation would tear the file or, on a resize, free memory being read).
   */
  released: Promise<void>;
  /** Resolves once the new generation is in place; rejects when the write failed (the old generation stays). */
  done: Promise<void>;
}

export interface LoadedSnapshot {
  indexPath: string;
  /** The meta file's bytes, verified; the caller parses them. */
  meta: Buffer;
  /**
   * Reads the int8 store's file into `targets`, in order (their lengths must add up to its size),
   * straight into the caller's memory on the thread pool a CHUNK_BYTES at a time, hashing as it
   * goes; false when the size or checksum does not match (the targets then hold garbage).
   */
  readQuant(targets: Uint8Array[]): Promise<boolean>;
}

/** True when `buf` matches its manifest entry; checked a CHUNK_BYTES at a time with the event loop handed back in between. */
async function bufferMatches(buf: Buffer, expected: FileEntry): Promise<boolean> {
  if (buf.length !== expected.size) return false;
  const check = verifierFor(expected);
  for (let off = 0; off < buf.length; off += CHUNK_BYTES) {
    if (off > 0) await nextTurn();
    check.update(buf.subarray(off, off + CHUNK_BYTES));
  }
  return check.matches();
}

/** Reads `file` a piece at a time (one reused buffer), handing each piece to `take`; returns the bytes read. */
async function readPieces(file: string, take: (piece: Buffer) => void): Promise<number> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.allocUnsafe(VERIFY_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) return position;
      take(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** The written file's manifest entry (both checksums). */
async function fileEntry(file: string, name: string): Promise<FileEntry> {
  const digest = new FileDigest();
  const size = await readPieces(file, (piece) => digest.update(piece));
  return digest.entry(name, size);
}

/** True when the file on disk matches its manifest entry (size and checksum). */
async function fileMatches(file: string, expected: FileEntry): Promise<boolean> {
  const check = verifierFor(expected);
  const size = await readPieces(file, (piece) => check.update(piece));
  return size === expected.size && check.matches();
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

/** Writes `buf` at `position` (looping over short writes); returns its length. */
async function writeAt(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  for (let off = 0; off < buf.length;) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
  return buf.length;
}

/**
 * Writes the pieces one after the other, hashing them as they go, a CHUNK_BYTES at a time
 * (hashing a 20k-product shop's 37 MB int8 store in one call blocked the loop for ~50 ms);
 * returns the file's size and SHA-256.
 */
async function writePieces(file: string, pieces: Iterable<string | Buffer>): Promise<FileEntry> {
  const fh = await open(file, "w");
  const digest = new FileDigest();
  let size = 0;
  try {
    for (const piece of pieces) {
      const buf = typeof piece === "string" ? Buffer.from(piece) : piece;
      for (let off = 0; off < buf.length; off += CHUNK_BYTES) {
        const chunk = buf.subarray(off, off + CHUNK_BYTES);
        digest.update(chunk);
        size += await writeAt(fh, chunk, size);
      }
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return digest.entry(path.basename(file), size);
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
        typeof f.sha256 !== "string" ||
        (f.crc32 !== undefined && !(Number.isInteger(f.crc32) && f.crc32 >= 0 && f.crc32 <= 0xffffffff))
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
 * Writes a snapshot. The native index write and the int8 store write are started before this
 * returns, so together with `meta` and `quant`, which the caller took synchronously too, they
 * describe the state at call time — as long as the caller changes nothing before `released`.
 */
export function writeSnapshot(dir: string, snap: SnapshotInput): SnapshotWrite {
  const gen = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const names = { index: `index-${gen}.hnsw`, meta: `meta-${gen}.json`, quant: `quant-${gen}.bin` };
  const tmp = (n: string) => path.join(dir, `${n}.tmp`);
  const fin = (n: string) => path.join(dir, n);

  let liveWrites: [Promise<void>, Promise<FileEntry>];
  try {
    mkdirSync(dir, { recursive: true });
    liveWrites = [snap.writeIndex(tmp(names.index)), writePieces(tmp(names.quant), snap.quant)];
  } catch (err) {
    return { released: Promise.resolve(), done: Promise.reject(err) };
  }
  const released = Promise.allSettled(liveWrites).then(() => undefined);
  const done = (async () => {
    try {
      // The meta JSON is made and written while the thread pool writes the other two files.
      const meta = await writePieces(tmp(names.meta), snap.meta);
      const [indexWritten, quantWritten] = await Promise.allSettled(liveWrites);
      if (indexWritten.status === "rejected") throw indexWritten.reason;
      if (quantWritten.status === "rejected") throw quantWritten.reason;
      await fsyncFile(tmp(names.index));

      const index = await fileEntry(tmp(names.index), names.index);
      const manifest: Manifest = {
        format: FORMAT,
        version: FORMAT_VERSION,
        createdAt: new Date().toISOString(),
        files: {
          index,
          meta: { ...meta, name: names.meta },
          quant: { ...quantWritten.value, name: names.quant },
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
      await removeStaleTemporaries(dir);
    } catch (err) {
      await released; // never remove a file the thread pool is still writing
      for (const n of Object.values(names)) await rm(tmp(n), { force: true }).catch(() => {});
      throw err;
    }
  })();
  return { released, done };
}

async function removeStaleTemporaries(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir)) {
    if (!name.endsWith(".tmp")) continue;
    const st = await stat(path.join(dir, name)).catch(() => null);
    if (st?.isFile() && now - st.mtimeMs > STALE_TMP_MS) await rm(path.join(dir, name), { force: true });
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
    if (!(await fileMatches(indexPath, index))) return null;

    const metaBuf = await readFile(path.join(dir, meta.name));
    if (!(await bufferMatches(metaBuf, meta))) return null;
    const quantPath = path.join(dir, quant.name);
    if ((await stat(quantPath)).size !== quant.size) return null;
    // The int8 store (a 20k-product shop's: ~40 MB) is not read into a buffer of its own and copied:
    // copying it into the store's fresh pages on the JS thread took ~15 ms a 4 MB (page faults).
    return { indexPath, meta: metaBuf, readQuant: (targets) => readVerified(quantPath, quant, targets).catch(() => false) };
  } catch {
    return null;
  }
}

async function readVerified(file: string, expected: FileEntry, targets: Uint8Array[]): Promise<boolean> {
  if (targets.reduce((n, t) => n + t.length, 0) !== expected.size) return false;
  const fh = await open(file, "r");
  try {
    if ((await fh.stat()).size !== expected.size) return false;
    const check = verifierFor(expected);
    let position = 0;
    for (const target of targets) {
      for (let off = 0; off < target.length; off += CHUNK_BYTES) {
        const chunk = target.subarray(off, off + CHUNK_BYTES);
        for (let got = 0; got < chunk.length;) {
          const { bytesRead } = await fh.read(chunk, got, chunk.length - got, position + got);
          if (bytesRead === 0) return false; // shorter than its size said
          got += bytesRead;
        }
        check.update(chunk);
        position += chunk.length;
      }
    }
    return check.matches();
  } finally {
    await fh.close();
  }
}
