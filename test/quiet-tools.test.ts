/**
 * A newcomer's first commands say nothing that is not for them: npm warns about no project
 * config (`.npmrc` once held onnxruntime-node's install switch, which npm 11 calls unknown on every
 * command; `allowScripts` does the job now), and a production build prints none of the bundler's
 * benign warnings (resource routes' empty client chunks, the admin's lazy server imports) that
 * used to bury real messages on every demo start.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../scripts/lib/app-processes";

describe("the tools a newcomer runs first are quiet", () => {
  it("npm prints no config warning in the project", () => {
    const res = spawnSync("npm", ["pkg", "get", "name"], { cwd: ROOT, encoding: "utf8" });
    expect(res.status).toBe(0);
    expect(res.stderr).not.toMatch(/npm warn/i);
  });

  it("a production build prints no bundler noise", () => {
    const res = spawnSync("npx", ["remix", "vite:build"], { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
    expect(res.status, res.stderr).toBe(0);
    const out = `${res.stdout}\n${res.stderr}`;
    expect(out).not.toMatch(/Generated an empty chunk/);
    expect(out).not.toMatch(/dynamic import will not move module/);
    expect(out).not.toMatch(/\(!\)|warning/i);
  }, 240_000);
});
