import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureImageModel, installPinnedFiles, readVerifiedFiles, sha256Hex, stampPath } from "./model-files.server";
import { DEFAULT_IMAGE_MODEL_ID, MODEL_PACKS, MODELS, SOURCE_IMAGE_MODEL_ID, type PinnedFile } from "./model-registry";
import { findModelMirror } from "../../../test/support/embedding";

const mirror = findModelMirror();
const src = MODELS[SOURCE_IMAGE_MODEL_ID];
const derived = MODELS[DEFAULT_IMAGE_MODEL_ID];
const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-models-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("ensureImageModel without any source", () => {
  it("falls back with a clear message when offline / no mirror (no throw, no stack)", async () => {
    const logs: string[] = [];
    const r = await ensureImageModel({ modelsDir: path.join(tmp, "none"), allowDownload: false, log: (m) => logs.push(m) });
    expect(r.status).toBe("fallback");
    expect(r.modelId).toBe("color-fallback");
    expect(r.path).toBeUndefined();
    expect(r.message).toMatch(/MODELS_MIRROR/);
    expect(r.message).toMatch(/network/);
    expect(r.message).not.toMatch(/\n\s+at /);
  });

  it("rejects a corrupt mirror file by SHA-256 and does not use it", async () => {
    const badMirror = path.join(tmp, "bad-mirror");
    mkdirSync(badMirror, { recursive: true });
    writeFileSync(path.join(badMirror, src.fileName), Buffer.from("not the model"));
    const dir = path.join(tmp, "bad");
    const r = await ensureImageModel({ modelsDir: dir, mirrorDir: badMirror, allowDownload: false });
    expect(r.status).toBe("fallback");
    expect(r.message).toMatch(/SHA-256 mismatch/);
    expect(existsSync(path.join(dir, src.fileName))).toBe(false);
    expect(existsSync(path.join(dir, derived.fileName))).toBe(false);
  });

  it("download failure from an unreachable host is a fallback, not an exception", async () => {
    const r = await ensureImageModel({ modelsDir: path.join(tmp, "dl"), allowDownload: true, downloadTimeoutMs: 3000 });
    if (r.status === "ready") return; // this machine has network access to the upstream: nothing to assert
    expect(r.message).toMatch(/MODELS_MIRROR/);
  }, 20_000);
});

describe.skipIf(!mirror)("ensureImageModel with a mirror (MODELS_MIRROR or ../shared/models)", () => {
  const dir = path.join(tmp, "ok");

  it("copies, verifies, derives; then is idempotent", async () => {
    const r1 = await ensureImageModel({ modelsDir: dir, mirrorDir: mirror, allowDownload: false });
    expect(r1.status).toBe("ready");
    expect(r1.modelId).toBe(DEFAULT_IMAGE_MODEL_ID);
    expect(r1.path).toBe(path.join(dir, derived.fileName));
    expect(statSync(r1.path!).size).toBe(derived.sizeBytes);
    expect(JSON.parse(readFileSync(stampPath(r1.path!), "utf8")).sha256).toBe(derived.sha256);
    const mtime = statSync(r1.path!).mtimeMs;

    const r2 = await ensureImageModel({ modelsDir: dir, allowDownload: false });
    expect(r2.status).toBe("ready");
    expect(statSync(r2.path!).mtimeMs).toBe(mtime); // not rewritten
  });

  it("re-derives a corrupted derived file from the verified local source", async () => {
    const p = path.join(dir, derived.fileName);
    writeFileSync(p, Buffer.from("garbage"));
    const r = await ensureImageModel({ modelsDir: dir, allowDownload: false });
    expect(r.status).toBe("ready");
    expect(statSync(p).size).toBe(derived.sizeBytes);
  });

  it("re-derives a file left by an older derivation (consistent stamp, not the registry's output)", async () => {
    const p = path.join(dir, derived.fileName);
    const older = Buffer.from("an older graph edit's output");
    writeFileSync(p, older);
    writeFileSync(stampPath(p), JSON.stringify({ modelId: derived.id, sha256: sha256Hex(older), sourceSha256: src.sha256 }) + "\n");
    const r = await ensureImageModel({ modelsDir: dir, allowDownload: false });
    expect(r.status).toBe("ready");
    expect(sha256Hex(readFileSync(p))).toBe(derived.sha256);
  });

  it("a corrupted local source with no other source -> fallback, mentions the mismatch", async () => {
    const d2 = path.join(tmp, "corrupt-src");
    mkdirSync(d2, { recursive: true });
    const good = readFileSync(path.join(mirror!, src.fileName));
    const bad = Buffer.from(good);
    bad[bad.length >> 1] ^= 0xff;
    writeFileSync(path.join(d2, src.fileName), bad);
    const r = await ensureImageModel({ modelsDir: d2, allowDownload: false });
    expect(r.status).toBe("fallback");
    expect(r.message).toMatch(/SHA-256 mismatch/);
    // With the mirror, the corrupt copy is replaced.
    const r2 = await ensureImageModel({ modelsDir: d2, mirrorDir: mirror, allowDownload: false });
    expect(r2.status).toBe("ready");
  });
});

describe("installPinnedFiles (optional packs): mirror, upstream download, SHA-256", () => {
  const a = Buffer.from("tiny model A\n".repeat(100));
  const b = Buffer.from('{"model":"tiny tokenizer"}');
  const pinned = (fileName: string, bytes: Buffer, upstreamUrls: string[] = []): PinnedFile => ({
    fileName,
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.length,
    upstreamUrls,
  });

  it("copies every file from the mirror (same relative paths), verified; then is idempotent", async () => {
    const m = path.join(tmp, "pack-mirror");
    mkdirSync(path.join(m, "tiny"), { recursive: true });
    writeFileSync(path.join(m, "tiny/a.onnx"), a);
    writeFileSync(path.join(m, "tiny/tokenizer.json"), b);
    const dir = path.join(tmp, "pack-ok");
    const files = [pinned("tiny/a.onnx", a), pinned("tiny/tokenizer.json", b)];
    const r = await installPinnedFiles("Tiny pack", files, { modelsDir: dir, mirrorDir: m, allowDownload: false });
    expect(r.status).toBe("ready");
    expect(r.paths).toEqual([path.join(dir, "tiny/a.onnx"), path.join(dir, "tiny/tokenizer.json")]);
    expect(readFileSync(path.join(dir, "tiny/a.onnx"))).toEqual(a);
    // Second run: no mirror needed, files verified in place.
    const r2 = await installPinnedFiles("Tiny pack", files, { modelsDir: dir, allowDownload: false });
    expect(r2.status).toBe("ready");
    expect((await readVerifiedFiles(dir, files)).ok).toBe(true);
  });

  it("downloads from the upstream URL (a real local HTTP server) and refuses a wrong body", async () => {
    const server = http.createServer((req, res) => {
      if (req.url === "/a.onnx") res.end(a);
      else if (req.url === "/wrong.onnx") res.end(Buffer.from("tampered"));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dir = path.join(tmp, "pack-dl");
      const ok = await installPinnedFiles("Tiny pack", [pinned("tiny/a.onnx", a, [`${base}/a.onnx`])], { modelsDir: dir });
      expect(ok.status).toBe("ready");
      expect(readFileSync(path.join(dir, "tiny/a.onnx"))).toEqual(a);

      const bad = await installPinnedFiles(
        "Tiny pack",
        [pinned("tiny/b.onnx", a, [`${base}/wrong.onnx`]), pinned("tiny/c.onnx", b, [`${base}/missing.onnx`])],
        { modelsDir: dir },
      );
      expect(bad.status).toBe("unavailable");
      expect(bad.message).toMatch(/^Tiny pack unavailable \(tiny\/b\.onnx: .*SHA-256 mismatch.* \| tiny\/c\.onnx: 127\.0\.0\.1:\d+: HTTP 404\)/);
      expect(bad.message).toMatch(/MODELS_MIRROR/);
      expect(bad.message).not.toMatch(/\n/);
      expect(existsSync(path.join(dir, "tiny/b.onnx"))).toBe(false);
    } finally {
      server.close();
    }
  });

  it("readVerifiedFiles: names the missing or corrupt file", async () => {
    const dir = path.join(tmp, "verify");
    mkdirSync(path.join(dir, "tiny"), { recursive: true });
    writeFileSync(path.join(dir, "tiny/a.onnx"), Buffer.from("changed"));
    const missing = await readVerifiedFiles(dir, [pinned("tiny/x.onnx", a)]);
    expect(missing).toEqual({ ok: false, message: `${path.join(dir, "tiny/x.onnx")} is not installed` });
    const corrupt = await readVerifiedFiles(dir, [pinned("tiny/a.onnx", a)]);
    expect(corrupt.ok).toBe(false);
    expect(!corrupt.ok && corrupt.message).toMatch(/SHA-256 mismatch for tiny\/a\.onnx/);
  });

  it("every registry pack points at a pinned revision and carries a SHA-256 per file", () => {
    for (const pack of Object.values(MODEL_PACKS)) {
      for (const f of pack.files) {
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(f.fileName.startsWith(`${pack.dir}/`)).toBe(true);
        for (const u of f.upstreamUrls) expect(u).toMatch(/\/resolve\/[0-9a-f]{40}\//);
      }
    }
  });
});
