import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureImageModel, stampPath } from "./model-files.server.js";
import { DEFAULT_IMAGE_MODEL_ID, MODELS, SOURCE_IMAGE_MODEL_ID } from "./model-registry.js";
import { findModelMirror } from "./testing.server.js";

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
