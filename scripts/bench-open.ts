/**
 * The event loop while a web process opens a shop from its saved snapshot (LiveCatalogs.get on a
 * cold process: sidecar, combined index, per-photo index, then the catch-up diff against the
 * database) — what a storefront request for a shop not yet in memory waits for, and what every
 * other request on that process waits behind.
 *
 *   npx tsx scripts/bench-open.ts --database-url URL --dir DATA_DIR [--shop soak-shop.myshopify.com] [--opens 3] [--resave]
 *
 * Point it at a prepared soak fixture (`scripts/soak.ts --prepare-only --dir D` → DATA_DIR = D/data).
 * `--resave` first opens the shop once and saves it (an older release's snapshot is then written in
 * the current format), unmeasured. Each open uses a fresh LiveCatalogs (nothing shared but the OS
 * page cache). A 1 ms interval probe reports the longest stretch the loop was blocked, the
 * stretches over 50 ms, and the wall time.
 * Run with `node --cpu-prof --import tsx` and `scripts/profile-long-tasks.ts` to see what they were.
 */
import { parseArgs } from "node:util";
import { createPrismaClient } from "../app/db.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../app/embedding/models/model-registry";
import { LiveCatalogs } from "../app/live-index/live-catalogs.server";
import { probeEventLoop } from "./lib/event-loop-probe";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string" },
    dir: { type: "string" },
    shop: { type: "string", default: "soak-shop.myshopify.com" },
    opens: { type: "string", default: "3" },
    resave: { type: "boolean", default: false },
  },
});
if (!values["database-url"] || !values.dir) {
  console.error("usage: npx tsx scripts/bench-open.ts --database-url URL --dir DATA_DIR [--shop S] [--opens 3] [--resave]");
  process.exit(2);
}
const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
const db = createPrismaClient(values["database-url"]);

try {
  await db.$connect();
  if (values.resave) {
    const catalogs = new LiveCatalogs({ db, dataDir: values.dir, imageModelId: spec.id, imageDim: spec.dim });
    await catalogs.save(await catalogs.get(values.shop));
    await catalogs.close();
  }
  for (let i = 0; i < Number(values.opens); i++) {
    const catalogs = new LiveCatalogs({ db, dataDir: values.dir, imageModelId: spec.id, imageDim: spec.dim });
    let size = 0;
    const r = await probeEventLoop(async () => {
      size = (await catalogs.get(values.shop)).index.size;
    });
    console.log(
      `open ${i + 1}: ${size} products, wall ${r.wallMs.toFixed(0)} ms, longest block ${r.worstMs.toFixed(1)} ms, ` +
        `blocks over 50 ms: ${r.over.length ? r.over.join(", ") : "none"}`,
    );
    await catalogs.close();
    (globalThis as { gc?: () => void }).gc?.();
  }
} finally {
  await db.$disconnect();
}
