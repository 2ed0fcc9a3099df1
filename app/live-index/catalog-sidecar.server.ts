/**
 * The sidecar of a shop's saved indexes (`DATA_DIR/indexes/<shop>/catalog.jsonl`): the shop's
 * statistics (image mean, facets) and every product's card and row version — what a web process
 * needs besides the two indexes to serve the shop after a restart without reading every row.
 *
 * JSON lines: a header, then the rows in chunks of ROWS_PER_LINE. Written and read a line at a
 * time, handing the event loop back every few ms: a 20k-product shop's sidecar is ~5.5 MB, and a
 * single JSON.parse of it blocked a serving web process for ~125 ms (stringify: about as long).
 * A file that is missing, truncated or of another format reads as null (the caller rebuilds).
 */
import { open, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { yielder } from "../shared/event-loop-turns";
import { jsonLines } from "../shared/json-lines";

export const SIDECAR_FILE = "catalog.jsonl";
const FORMAT = "lookalike-catalog-sidecar";
// 2: cards carry availability and their variants (issue 24); a version-1 sidecar is rebuilt from the database.
const FORMAT_VERSION = 2;
const ROWS_PER_LINE = 500;
const YIELD_EVERY_MS = 8;

export interface SidecarHeader {
  imageModelId: string;
  /** The text model of the text channel (hashed text vector when absent). */
  textModelId?: string;
  /** The shop's catalog version the snapshot reflects. */
  version: number;
  /** The mean image vector the image channel is centred on (null: not centred). */
  imageMean: { mean: number[]; count: number } | null;
  /** The facet groups (tag-facets.ts), the number of products they were detected on, and each value's share. */
  facets: string[][];
  facetsCount: number;
  facetShares: number[][];
}

export type SidecarRow<Card> = [id: string, rowVersion: number, card: Card];

export interface Sidecar<Card> extends SidecarHeader {
  rows: SidecarRow<Card>[];
}

/**
 * The rows as three columns (row i = [ids[i], versions[i], cards[i]]): what a live catalog captures
 * when it saves — an array per row for 20k products blocked the loop for 7–60 ms (mostly the GC
 * work of 40k short-lived arrays), the columns take a few ms; the rows are made a line at a time.
 */
export interface SidecarColumns<Card> {
  ids: string[];
  versions: ArrayLike<number>;
  cards: Card[];
}

/** Writes the sidecar next to a temporary name, then renames it into place (readers see old or new, never half). */
export async function writeSidecar<Card>(dir: string, sidecar: SidecarHeader & { rows: SidecarRow<Card>[] | SidecarColumns<Card> }): Promise<void> {
  const { rows, ...header } = sidecar;
  const count = Array.isArray(rows) ? rows.length : rows.ids.length;
  const slice = (from: number, to: number): SidecarRow<Card>[] => {
    if (Array.isArray(rows)) return rows.slice(from, to);
    const out: SidecarRow<Card>[] = [];
    for (let i = from; i < Math.min(to, count); i++) out.push([rows.ids[i], rows.versions[i], rows.cards[i]]);
    return out;
  };
  const pause = yielder(YIELD_EVERY_MS);
  const lines = [JSON.stringify({ format: FORMAT, formatVersion: FORMAT_VERSION, rowCount: count, ...header })];
  for (let i = 0; i < count; i += ROWS_PER_LINE) {
    lines.push(JSON.stringify(slice(i, i + ROWS_PER_LINE)));
    await pause();
  }
  const tmp = path.join(dir, `${SIDECAR_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, lines.join("\n") + "\n");
  await rename(tmp, path.join(dir, SIDECAR_FILE));
}

/** The sidecar in `dir`, or null when it is missing, truncated or not of this format. */
export async function readSidecar<Card>(dir: string): Promise<Sidecar<Card> | null> {
  let raw: Buffer;
  try {
    raw = await readFile(path.join(dir, SIDECAR_FILE));
  } catch {
    return null;
  }
  try {
    // Decoded and parsed a line at a time (a 20k-product shop's sidecar is ~5 MB).
    const lines = jsonLines(raw, yielder(YIELD_EVERY_MS));
    const head = (await lines.next()).value as (SidecarHeader & { format?: string; formatVersion?: number; rowCount?: number }) | undefined;
    if (head?.format !== FORMAT || head.formatVersion !== FORMAT_VERSION || !Number.isInteger(head.rowCount)) return null;
    if (!Array.isArray(head.facets) || !Array.isArray(head.facetShares) || head.imageMean === undefined) return null;
    const rows: SidecarRow<Card>[] = [];
    for await (const line of lines) for (const row of line as SidecarRow<Card>[]) rows.push(row);
    if (rows.length !== head.rowCount) return null; // truncated
    const { format: _format, formatVersion: _version, rowCount: _count, ...header } = head;
    return { ...header, rows };
  } catch {
    return null;
  }
}

/** Longest header read by readSidecarVersion (the image mean of a 1,280-d model is ~30 KB of JSON). */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;

/**
 * The catalog version of the sidecar in `dir`, from its header line alone (the rows are not read);
 * null when there is none or it is not of this format.
 */
export async function readSidecarVersion(dir: string): Promise<number | null> {
  let fh;
  try {
    fh = await open(path.join(dir, SIDECAR_FILE), "r");
  } catch {
    return null;
  }
  try {
    const pieces: Buffer[] = [];
    let position = 0;
    while (position < MAX_HEADER_BYTES) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) return null;
      const piece = buf.subarray(0, bytesRead);
      const end = piece.indexOf(10); // "\n"
      pieces.push(end >= 0 ? piece.subarray(0, end) : piece);
      if (end >= 0) {
        const head = JSON.parse(Buffer.concat(pieces).toString("utf8")) as { format?: string; formatVersion?: number; version?: unknown };
        if (head?.format !== FORMAT || head.formatVersion !== FORMAT_VERSION || typeof head.version !== "number") return null;
        return head.version;
      }
      position += bytesRead;
    }
    return null;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}
