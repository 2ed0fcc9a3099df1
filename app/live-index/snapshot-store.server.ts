/**
 * The shared snapshot store (SNAPSHOT_STORE=database, decision 0016): each shop's snapshot — the
 * files of DATA_DIR/indexes/<shop>/ (snapshot-files.server.ts) — kept in the database every web
 * node reaches, so a node that takes a shop over (the load balancer moved it) loads it instead of
 * rebuilding it from the product rows. The rows stay the truth: a stored snapshot that is missing
 * or damaged reads as none, and the caller rebuilds from the database as without a store.
 *
 * publish(shop, dir), after a local save: uploads the files the local snapshot is made of (the two
 * manifests, the files they name, the sidecar) as a new generation, a CHUNK_BYTES piece at a time
 * (a 20k-product shop's snapshot is ~345 MB: never a whole file in memory; published in 13–16 s,
 * fetched in ~5 s on PostgreSQL, decision 0016), checks each file
 * against its manifest's SHA-256 as it streams, then in one transaction makes it the shop's
 * current generation and deletes the older ones (and whatever a publish that died left).
 *
 * fetch(shop, dir), before a shop is opened: when the store's generation is newer than the local
 * snapshot (the sidecar's catalog version), downloads it with the local files' crash-safe
 * protocol — each file to a temporary name, its size and SHA-256 checked as it streams, renamed
 * into place; then the manifests and the sidecar last (as a save writes it), so a fetch cut short
 * leaves the old local snapshot as it was, or the mix a save cut short leaves (a newer index under
 * an older sidecar: the rows that differ are loaded again). Never throws.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db.server";
import { moduleLogger } from "../logging/logger.server";
import { MANIFEST_FILE } from "../search/index-persistence.server";
import { nextTurn } from "../shared/event-loop-turns";
import { errorSummary } from "../shared/error-text";
import { readSidecarVersion, SIDECAR_FILE } from "./catalog-sidecar.server";
import { shopExists } from "./shop-state.server";

const log = moduleLogger("snapshot-store");

/**
 * Largest piece of a file in one row (and in memory at once). 1 MB, not 4: on PostgreSQL a 4 MB
 * piece blocked the event loop for 139 ms as it was written and 224 ms as it was read (the driver
 * encodes and decodes bytea on the JS thread), a 1 MB one 47 / 93 ms (decision 0016).
 */
export const CHUNK_BYTES = 1024 * 1024;
/** Bytes hashed between two turns of the event loop (~2 ms of SHA-256). */
const HASH_PIECE = 1024 * 1024;
/** The snapshot's directories: the combined index's and the per-photo index's (snapshot-files.server.ts). */
const INDEX_DIRS = [".", "images"] as const;
/** Written after every other file, in this order; the sidecar last, as a local save writes it. */
const LAST_FILES = [MANIFEST_FILE, `images/${MANIFEST_FILE}`, SIDECAR_FILE];

export interface PublishResult {
  generation: string;
  files: number;
  bytes: number;
  ms: number;
}

export type FetchResult =
  | { status: "fetched"; generation: string; files: number; bytes: number; ms: number }
  /** The local snapshot is as new as the store's: nothing to download. */
  | { status: "current" }
  /** No usable stored snapshot (none, or missing or damaged pieces): the local one stays as it was. */
  | { status: "none"; reason: string };

/** What LiveCatalogs needs of a shared store (LiveCatalogsOptions.store). */
export interface SnapshotStore {
  /** `signal`: stops the upload between two pieces (a stopping process; the generation is dropped). */
  publish(shop: string, dir: string, signal?: AbortSignal): Promise<PublishResult>;
  fetch(shop: string, dir: string): Promise<FetchResult>;
}

interface StoredFile {
  path: string;
  size: number;
  sha256: string;
  chunks: number;
}

class Damaged extends Error {}

/** SHA-256 update a HASH_PIECE at a time, handing the event loop back in between. */
async function hashInPieces(hash: ReturnType<typeof createHash>, buf: Uint8Array): Promise<void> {
  for (let off = 0; off < buf.length; off += HASH_PIECE) {
    if (off > 0) await nextTurn();
    hash.update(buf.subarray(off, off + HASH_PIECE));
  }
}

/** The files a manifest names, as paths relative to the snapshot directory, with their SHA-256. */
async function manifestFiles(dir: string, sub: string): Promise<{ path: string; sha256: string }[]> {
  const m = JSON.parse(await readFile(path.join(dir, sub, MANIFEST_FILE), "utf8")) as { files?: Record<string, { name?: unknown; sha256?: unknown }> };
  if (!m?.files || typeof m.files !== "object") throw new Error(`${path.join(sub, MANIFEST_FILE)} names no files`);
  return Object.values(m.files).map((f) => {
    if (typeof f?.name !== "string" || f.name !== path.basename(f.name) || typeof f.sha256 !== "string") throw new Error(`${path.join(sub, MANIFEST_FILE)} is malformed`);
    return { path: path.posix.join(sub, f.name), sha256: f.sha256 };
  });
}

/** A stored path is one of ours: a plain name in the snapshot directory or in images/. */
function safePath(p: string): boolean {
  const parts = p.split("/");
  if (parts.length === 2 && parts[0] !== "images") return false;
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  return name !== "" && name !== "." && name !== ".." && !name.includes("\\");
}

export interface DatabaseSnapshotStoreOptions {
  /**
   * The database's engine. On PostgreSQL pieces are read as base64 text (`encode(data, 'base64')`,
   * decoded natively): 40 MB in 1 MB pieces took 0.26–0.34 s with a longest event-loop block of
   * 9–21 ms, against 3.0–3.2 s and 131–202 ms as bytea (the driver stack converts those on the JS
   * thread). SQLite hands its blobs over as they are.
   */
  kind: "sqlite" | "postgresql";
  /** Largest piece of a file in one row (default CHUNK_BYTES; the tests use small ones). */
  chunkBytes?: number;
}

export class DatabaseSnapshotStore implements SnapshotStore {
  private readonly chunkBytes: number;

  constructor(
    private readonly db: Db,
    private readonly opts: DatabaseSnapshotStoreOptions,
  ) {
    this.chunkBytes = Math.min(opts.chunkBytes ?? CHUNK_BYTES, CHUNK_BYTES);
  }

  async publish(shop: string, dir: string, signal?: AbortSignal): Promise<PublishResult> {
    const started = performance.now();
    const generation = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const catalogVersion = await readSidecarVersion(dir);
    if (catalogVersion === null) throw new Error(`no snapshot of ${shop} to publish in ${dir}`);
    const files: { path: string; sha256?: string }[] = [];
    for (const sub of INDEX_DIRS) files.push(...(await manifestFiles(dir, sub)));
    files.push(...LAST_FILES.map((p) => ({ path: p })));
    let bytes = 0;
    let chunks = 0;
    try {
      for (const f of files) {
        const stored = await this.upload(shop, generation, dir, f.path, f.sha256, signal);
        bytes += stored.size;
        chunks += stored.chunks;
      }
      // Complete? (A publish of another node may have deleted this generation as an older one.)
      const [haveFiles, haveChunks] = await Promise.all([
        this.db.snapshotFile.count({ where: { shop, generation } }),
        this.db.snapshotChunk.count({ where: { shop, generation } }),
      ]);
      if (haveFiles !== files.length || haveChunks !== chunks)
        throw new Error(`generation ${generation} of ${shop} lost pieces while it was uploaded (another node published meanwhile)`);
      // Two nodes may serve a shop for a moment while it moves: the older snapshot does not replace the newer.
      const current = await this.db.shopSnapshot.findUnique({ where: { shop }, select: { catalogVersion: true } });
      if (current && current.catalogVersion > catalogVersion)
        throw new Error(`a newer snapshot of ${shop} is stored (catalog version ${current.catalogVersion}, this one ${catalogVersion})`);
      const head = { generation, catalogVersion, bytes: BigInt(bytes), publishedAt: new Date() };
      await this.db.$transaction([
        this.db.shopSnapshot.upsert({ where: { shop }, create: { shop, ...head }, update: head }),
        this.db.snapshotChunk.deleteMany({ where: { shop, generation: { not: generation } } }),
        this.db.snapshotFile.deleteMany({ where: { shop, generation: { not: generation } } }),
      ]);
    } catch (err) {
      await this.deleteGeneration(shop, generation).catch(() => {});
      throw err;
    }
    // shop/redact deletes the shop's rows and its stored snapshot: a publish that ran meanwhile
    // must not put it back (the same check as the local files', snapshot-files.server.ts).
    if (!(await shopExists(this.db, shop))) await this.delete(shop);
    const ms = performance.now() - started;
    log.info(
      { shop, generation, files: files.length, bytes, ms: Math.round(ms) },
      `published the snapshot of ${shop}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(ms)} ms`,
    );
    return { generation, files: files.length, bytes, ms };
  }

  /** Uploads one file a CHUNK_BYTES at a time; checks it against its manifest's SHA-256 when it has one. */
  private async upload(shop: string, generation: string, dir: string, rel: string, expectedSha?: string, signal?: AbortSignal): Promise<StoredFile> {
    const fh = await open(path.join(dir, rel), "r");
    const hash = createHash("sha256");
    let size = 0;
    let seq = 0;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const buf = Buffer.allocUnsafe(this.chunkBytes);
        let got = 0;
        while (got < buf.length) {
          const { bytesRead } = await fh.read(buf, got, buf.length - got, size + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        if (got === 0 && seq > 0) break;
        const data = buf.subarray(0, got);
        await hashInPieces(hash, data);
        // Raw SQL, not snapshotChunk.create: the model API took 3.7× as long and blocked the event
        // loop 4–8× as long per piece (it serialises the bytes for its query compiler).
        await this.db.$executeRaw`INSERT INTO "SnapshotChunk" ("shop", "generation", "path", "seq", "data") VALUES (${shop}, ${generation}, ${rel}, ${seq}, ${data})`;
        size += got;
        seq++;
        if (got < buf.length) break;
      }
    } finally {
      await fh.close();
    }
    const sha256 = hash.digest("hex");
    // A save replaced the file while it was read: this generation is not one snapshot.
    if (expectedSha !== undefined && sha256 !== expectedSha) throw new Error(`${rel} changed while it was published`);
    await this.db.snapshotFile.create({ data: { shop, generation, path: rel, size: BigInt(size), sha256, chunks: seq } });
    return { path: rel, size, sha256, chunks: seq };
  }

  async fetch(shop: string, dir: string): Promise<FetchResult> {
    const started = performance.now();
    const temporaries: string[] = [];
    try {
      const head = await this.db.shopSnapshot.findUnique({ where: { shop } });
      if (!head) return { status: "none", reason: "no stored snapshot" };
      const local = await readSidecarVersion(dir);
      if (local !== null && local >= head.catalogVersion) return { status: "current" };
      const rows = await this.db.snapshotFile.findMany({ where: { shop, generation: head.generation } });
      const files: StoredFile[] = rows.map((r) => ({ path: r.path, size: Number(r.size), sha256: r.sha256, chunks: r.chunks }));
      const byPath = new Map(files.map((f) => [f.path, f]));
      if (files.some((f) => !safePath(f.path))) throw new Damaged("a stored path is not a snapshot file's");
      if (LAST_FILES.some((p) => !byPath.has(p))) throw new Damaged("a manifest or the sidecar is missing");
      const previous = await this.previousFiles(dir);
      await mkdir(path.join(dir, "images"), { recursive: true });
      const tmpOf = (f: StoredFile) => path.join(dir, `${f.path}.fetch-${process.pid}.tmp`);
      // Every file downloaded and checked before any is put in place.
      const ordered = [...files.filter((f) => !LAST_FILES.includes(f.path)), ...LAST_FILES.map((p) => byPath.get(p)!)];
      for (const f of ordered) {
        temporaries.push(tmpOf(f));
        await this.download(shop, head.generation, f, tmpOf(f));
      }
      for (const f of ordered) await rename(tmpOf(f), path.join(dir, f.path));
      temporaries.length = 0;
      // The files of the snapshot it replaced (as a save removes its previous generation's).
      for (const p of previous) if (!byPath.has(p)) await rm(path.join(dir, p), { force: true }).catch(() => {});
      const bytes = files.reduce((n, f) => n + f.size, 0);
      const ms = performance.now() - started;
      log.info(
        { shop, generation: head.generation, files: files.length, bytes, ms: Math.round(ms) },
        `fetched the snapshot of ${shop} from the store: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(ms)} ms`,
      );
      return { status: "fetched", generation: head.generation, files: files.length, bytes, ms };
    } catch (err) {
      for (const t of temporaries) await rm(t, { force: true }).catch(() => {});
      const reason = err instanceof Damaged ? err.message : `could not fetch: ${errorSummary(err)}`;
      log.warn({ shop }, `no stored snapshot of ${shop} used (${reason}): it is loaded from its local snapshot or rebuilt from the database`);
      return { status: "none", reason };
    }
  }

  /** Downloads one file to `tmp`, a chunk at a time, checking its size and SHA-256. */
  private async download(shop: string, generation: string, f: StoredFile, tmp: string): Promise<void> {
    const fh = await open(tmp, "w");
    const hash = createHash("sha256");
    let size = 0;
    // The next piece is asked for while this one is hashed and written (one query in flight ahead).
    const piece = (seq: number): Promise<Uint8Array | undefined> => {
      const p = new Promise<Uint8Array | undefined>((resolve, reject) => {
        if (this.opts.kind === "postgresql") {
          this.db.$queryRaw<{ data: string }[]>`
            SELECT encode("data", 'base64') AS "data" FROM "SnapshotChunk" WHERE "shop" = ${shop} AND "generation" = ${generation} AND "path" = ${f.path} AND "seq" = ${seq}`.then(
            (rows) => resolve(rows.length ? Buffer.from(rows[0].data, "base64") : undefined),
            reject,
          );
        } else {
          this.db.$queryRaw<{ data: Uint8Array }[]>`
            SELECT "data" FROM "SnapshotChunk" WHERE "shop" = ${shop} AND "generation" = ${generation} AND "path" = ${f.path} AND "seq" = ${seq}`.then(
            (rows) => resolve(rows[0]?.data),
            reject,
          );
        }
      });
      p.catch(() => {}); // awaited below, unless an earlier piece failed first
      return p;
    };
    let next = f.chunks > 0 ? piece(0) : undefined;
    try {
      for (let seq = 0; seq < f.chunks; seq++) {
        const data = await next!;
        next = seq + 1 < f.chunks ? piece(seq + 1) : undefined;
        if (!data) throw new Damaged(`${f.path}: piece ${seq} is missing`);
        if (size + data.length > f.size) throw new Damaged(`${f.path}: longer than its size`);
        await hashInPieces(hash, data);
        for (let off = 0; off < data.length;) {
          const { bytesWritten } = await fh.write(data, off, data.length - off, size + off);
          off += bytesWritten;
        }
        size += data.length;
      }
      if (size !== f.size) throw new Damaged(`${f.path}: ${size} bytes, ${f.size} expected`);
      if (hash.digest("hex") !== f.sha256) throw new Damaged(`${f.path}: checksum mismatch`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** The files of the local snapshot now in `dir` (what its manifests name). */
  private async previousFiles(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const sub of INDEX_DIRS) {
      const files = await manifestFiles(dir, sub).catch(() => []);
      for (const f of files) out.push(f.path);
    }
    return out;
  }

  /** Deletes the shop's stored snapshot (its data is deleted; deleteShopData does the same in its transaction). */
  async delete(shop: string): Promise<void> {
    await this.db.$transaction([
      this.db.shopSnapshot.deleteMany({ where: { shop } }),
      this.db.snapshotChunk.deleteMany({ where: { shop } }),
      this.db.snapshotFile.deleteMany({ where: { shop } }),
    ]);
  }

  private async deleteGeneration(shop: string, generation: string): Promise<void> {
    await this.db.$transaction([this.db.snapshotChunk.deleteMany({ where: { shop, generation } }), this.db.snapshotFile.deleteMany({ where: { shop, generation } })]);
  }
}
