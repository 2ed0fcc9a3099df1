import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSnapshot, STALE_TMP_MS, writeSnapshot } from "./index-persistence.server";

describe("index snapshot files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lookalike-snapshot-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Two pieces, 2.5 MB in all: several read chunks, and a piece boundary inside one of them.
  const scales = randomBytes(300_001);
  const codes = randomBytes(2_200_000);
  const meta = ['{"version":2,"products":1}\n', '[[0,"a",{}]]\n'];

  async function saved(name: string): Promise<string> {
    const d = path.join(dir, name);
    const write = writeSnapshot(d, { writeIndex: (file) => writeFile(file, "native index bytes"), quant: [scales, codes], meta });
    await write.done;
    return d;
  }

  it("reads the int8 store back into the caller's memory, split any way, byte for byte", async () => {
    const snap = await readSnapshot(await saved("ok"));
    expect(snap).not.toBeNull();
    expect(snap!.meta.toString()).toBe(meta.join(""));
    expect(await readFile(snap!.indexPath, "utf8")).toBe("native index bytes");

    const whole = Buffer.concat([scales, codes]);
    for (const cut of [scales.length, 1, 1024 * 1024, whole.length - 7]) {
      const target = Buffer.alloc(whole.length);
      expect(await snap!.readQuant([target.subarray(0, cut), target.subarray(cut)])).toBe(true);
      expect(target.equals(whole)).toBe(true);
    }
  });

  it("refuses a store whose bytes or size differ from the manifest, and targets of the wrong size", async () => {
    const d = await saved("flipped");
    const manifest = JSON.parse(await readFile(path.join(d, "manifest.json"), "utf8"));
    const snap = await readSnapshot(d);
    const fh = await open(path.join(d, manifest.files.quant.name), "r+");
    await fh.write(Buffer.from([codes[2_000_000] ^ 1]), 0, 1, scales.length + 2_000_000); // one bit, in the last chunk
    await fh.close();
    const size = scales.length + codes.length;
    expect(await snap!.readQuant([Buffer.alloc(size)])).toBe(false);
    expect(await snap!.readQuant([Buffer.alloc(size - 1)])).toBe(false);

    const good = await readSnapshot(await saved("sizes"));
    expect(await good!.readQuant([Buffer.alloc(size + 1)])).toBe(false);
    expect(await good!.readQuant([Buffer.alloc(size)])).toBe(true);

    const short = await saved("short");
    await writeFile(path.join(short, JSON.parse(await readFile(path.join(short, "manifest.json"), "utf8")).files.quant.name), codes);
    expect(await readSnapshot(short)).toBeNull(); // size differs from the manifest's: refused before any read
  });

  it("verifies by CRC-32, and a manifest written before the CRC-32 by its SHA-256: a flipped bit is refused either way", async () => {
    const flipBit = async (d: string, name: string, at: number) => {
      const fh = await open(path.join(d, name), "r+");
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, at);
      await fh.write(Buffer.from([byte[0] ^ 1]), 0, 1, at);
      await fh.close();
    };
    const d = await saved("checksums");
    const manifest = JSON.parse(await readFile(path.join(d, "manifest.json"), "utf8"));
    for (const key of ["index", "meta", "quant"]) expect(Number.isInteger(manifest.files[key].crc32)).toBe(true);

    // An earlier release's manifest: SHA-256 only.
    for (const key of ["index", "meta", "quant"]) delete manifest.files[key].crc32;
    await writeFile(path.join(d, "manifest.json"), JSON.stringify(manifest));
    const old = await readSnapshot(d);
    expect(old!.meta.toString()).toBe(meta.join(""));
    expect(await old!.readQuant([Buffer.alloc(scales.length + codes.length)])).toBe(true);
    await flipBit(d, manifest.files.index.name, 3);
    expect(await readSnapshot(d)).toBeNull();

    // This release's manifest: the CRC-32 is what a read checks (a wrong one is refused though the SHA-256 matches).
    const d2 = await saved("crc");
    const m2 = JSON.parse(await readFile(path.join(d2, "manifest.json"), "utf8"));
    expect(await readSnapshot(d2)).not.toBeNull();
    m2.files.index.crc32 = (m2.files.index.crc32 + 1) % 2 ** 32;
    await writeFile(path.join(d2, "manifest.json"), JSON.stringify(m2));
    expect(await readSnapshot(d2)).toBeNull();
    m2.files.index.crc32 = -1; // not a CRC-32: the manifest is refused
    await writeFile(path.join(d2, "manifest.json"), JSON.stringify(m2));
    expect(await readSnapshot(d2)).toBeNull();

    const d3 = await saved("crc-meta");
    await flipBit(d3, JSON.parse(await readFile(path.join(d3, "manifest.json"), "utf8")).files.meta.name, 5);
    expect(await readSnapshot(d3)).toBeNull();
  });

  it("a save removes what a write cut off long ago left behind, and nothing a write in progress may still be writing", async () => {
    const d = path.join(dir, "leftovers");
    await mkdir(d, { recursive: true });
    const old = (Date.now() - STALE_TMP_MS - 60_000) / 1000;
    for (const name of ["index-killed.hnsw.tmp", "meta-killed.json.tmp", "catalog.jsonl.4242.tmp"]) {
      await writeFile(path.join(d, name), "half a file");
      await utimes(path.join(d, name), old, old);
    }
    await writeFile(path.join(d, "index-running.hnsw.tmp"), "being written right now");
    await writeFile(path.join(d, "notes.txt"), "not ours to remove");
    await utimes(path.join(d, "notes.txt"), old, old);

    await writeSnapshot(d, { writeIndex: (file) => writeFile(file, "native index bytes"), quant: [scales, codes], meta }).done;
    const files = (await readdir(d)).sort();
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual(["index-running.hnsw.tmp"]);
    expect(files).toContain("notes.txt");
    expect(await readSnapshot(d)).not.toBeNull();
  });
});
