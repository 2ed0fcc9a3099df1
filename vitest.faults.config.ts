import { defineConfig } from "vitest/config";

/**
 * The long fault runs (`npm run test:faults`): real processes killed under load, figures printed.
 * Not part of `npm test` — they need a quiet machine (on a loaded 2-core box the web processes'
 * own stalls fail health checks and blur what the fault did); docs/reliability.md has their results.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.fault.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: "forks",
    fileParallelism: false,
  },
});
