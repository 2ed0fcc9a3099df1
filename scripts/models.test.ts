import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), "lookalike-models-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the real command in a child process; resolves with exit code and output either way. */
async function models(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, MODELS_MIRROR: "" };
  try {
    const r = await run(process.execPath, ["--import", "tsx", "scripts/models.ts", ...args], { env, timeout: 60_000 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("scripts/models.ts", () => {
  it("install clip without any source: exit 2, one line naming every file and the fix, no stack trace", async () => {
    const r = await models("install", "clip", "--offline", "--models-dir", path.join(tmp, "m"));
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^⚠ unavailable: CLIP ViT-B\/32 .* unavailable \(clip-vit-b32\/vision_model_quantized\.onnx: .*clip-vit-b32\/text_model_quantized\.onnx: .*clip-vit-b32\/tokenizer\.json: .*MODELS_MIRROR/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("install minilm from a mirror holding corrupt files: refused by SHA-256, nothing installed", async () => {
    const mirror = path.join(tmp, "bad-mirror");
    mkdirSync(path.join(mirror, "all-minilm-l6-v2"), { recursive: true });
    writeFileSync(path.join(mirror, "all-minilm-l6-v2/model_quantized.onnx"), "not the model");
    writeFileSync(path.join(mirror, "all-minilm-l6-v2/vocab.txt"), "[PAD]\n");
    const dir = path.join(tmp, "m2");
    const r = await models("install", "minilm", "--offline", "--mirror", mirror, "--models-dir", dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/model_quantized\.onnx: mirror .*SHA-256 mismatch .* \| all-minilm-l6-v2\/vocab\.txt: mirror .*SHA-256 mismatch/);
  }, 60_000);

  it("unknown pack: usage, exit 64; no arguments keeps the image-model behaviour", async () => {
    const bad = await models("install", "bert");
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/install needs one of: clip\|minilm/);
    const img = await models("--offline", "--models-dir", path.join(tmp, "m3"));
    expect(img.code).toBe(2);
    expect(img.stdout).toMatch(/^⚠ fallback: Image model mobilenetv2-12-int8\.onnx unavailable/);
  }, 60_000);

  it("list shows each pack's files with their pins, marked unverified", async () => {
    const r = await models("list");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/clip-vit-b32\/vision_model_quantized\.onnx +89\.1 MB +sha256 583fd111\w+ +\(pin NOT verified on this machine\)/);
    expect(r.stdout).toMatch(/all-minilm-l6-v2\/vocab\.txt/);
  }, 60_000);
});
