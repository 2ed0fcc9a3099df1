/**
 * Runs the Prisma CLI fully offline: the JS/WASM schema engine and driver adapters are used, and
 * the two engine variables point at an existing file so the CLI does not try to download native
 * engines it will not use (see ../shared/ENVIRONMENT.md).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { root } from "../prisma-schemas";

export function runPrisma(args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; output: string } {
  const require = createRequire(import.meta.url);
  const cli = require.resolve("prisma/build/index.js");
  const placeholder = path.join(root, "package.json");
  const res = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    env: {
      ...env,
      PRISMA_SCHEMA_ENGINE_BINARY: env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
      PRISMA_QUERY_ENGINE_LIBRARY: env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
    encoding: "utf8",
  });
  return { ok: res.status === 0, output: `${res.stdout ?? ""}${res.stderr ?? ""}` };
}
