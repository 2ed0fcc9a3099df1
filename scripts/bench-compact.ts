/**
 * Compaction of a big index: the synchronous compact() against the automatic one that runs in the
 * background (ShopVectorIndex.compactInBackground), side by side on two copies of one saved index.
 *
 *   npx tsx scripts/bench-compact.ts --dir DIR [--rounds 2]
 *
 * DIR is a saved ShopVectorIndex (a shop's `DATA_DIR/indexes/<shop>`; `scripts/soak.ts
 * --prepare-only` writes a 20k-product one). Each round loads the index twice; on each copy just over
 * 20 % of the slots are retired by replacing products with new vectors (what a title or photo
 * change does), the last replacement crossing the compaction threshold.
 * Printed per copy: how long the compaction took, the longest the event loop went without a turn
 * (a 1 ms timer's largest gap) and how many searches a loop of one search per turn answered meanwhile.
 */
import { ShopVectorIndex, type ChannelVectors } from "../app/search/shop-vector-index.server";

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const dir = arg("dir", "");
const rounds = Number(arg("rounds", "2"));
if (!dir) {
  console.error("usage: npx tsx scripts/bench-compact.ts --dir DATA_DIR/indexes/<shop> [--rounds 2]");
  process.exit(2);
}

/** A random unit vector per channel (the replacement's new content; only its cost matters here). */
function randomVectors(idx: ShopVectorIndex, seed: number): ChannelVectors {
  let x = seed * 2654435761 + 1;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const unit = (dim: number) => {
    const v = Float32Array.from({ length: dim }, rnd);
    const n = Math.hypot(...v);
    return v.map((a) => a / n);
  };
  const d = idx.dims;
  return { image: unit(d.image), ...(d.color ? { color: unit(d.color) } : {}), ...(d.text ? { text: unit(d.text) } : {}) };
}

/** Replaces products with new vectors (a new node each, the old one marked deleted) until compaction starts. */
function retireUntilCompacting(idx: ShopVectorIndex): number {
  const ids = [...idx.ids()];
  let n = 0;
  for (const id of ids) {
    idx.upsert(id, randomVectors(idx, n), idx.attributes(id)!);
    n++;
    if (idx.compactingNow) return n;
  }
  throw new Error("compaction never started");
}

interface Figures {
  seconds: number;
  longestGapMs: number;
  searches: number;
}

async function measure(idx: ShopVectorIndex, sync: boolean): Promise<Figures> {
  let last = performance.now();
  let longestGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  let searches = 0;
  let stop = false;
  const ids = [...idx.ids()].slice(0, 1000);
  const searching = (async () => {
    while (!stop) {
      idx.searchByProduct(ids[searches % ids.length], { k: 10 });
      searches++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  // The background compaction was scheduled by the last replacement and has not run yet.
  const t0 = performance.now();
  if (sync) {
    await new Promise((r) => setImmediate(r));
    idx.compact(); // abandons the background one (at most one 8 ms slice of it ran)
  } else await idx.whenCompacted();
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 5));
  stop = true;
  await searching;
  clearInterval(timer);
  return { seconds, longestGapMs, searches };
}

for (let round = 1; round <= rounds; round++) {
  for (const mode of round % 2 ? ["sync", "background"] : ["background", "sync"]) {
    const idx = await ShopVectorIndex.load(dir);
    if (!idx) throw new Error(`no index in ${dir}`);
    const retired = retireUntilCompacting(idx);
    // Replacing started the background compaction; the synchronous copy abandons it at once.
    const f = await measure(idx, mode === "sync");
    const s = idx.stats();
    console.log(
      `round ${round} ${mode.padEnd(10)} ${idx.size} products, ${retired} replaced: compaction ${f.seconds.toFixed(1)} s, longest event-loop gap ${f.longestGapMs.toFixed(0)} ms, ${f.searches} searches answered meanwhile; after: ${s.deleted} deleted, capacity ${s.capacity}`,
    );
  }
}
