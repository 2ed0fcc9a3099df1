/**
 * What fitting a shop's learned projection costs (decision 19): `fitProjection` on the sample a full
 * build fits from (1,024 vectors), per channel at its default output dimension, in CPU time.
 *
 *   npx tsx scripts/bench-projection.ts [--rounds 3] [--json]
 *
 * The samples are random (the cost does not depend on their values); the event loop is handed back
 * between slices as in the web process.
 */
import { fitProjection } from "../app/search/vector-projection";
import { SAMPLE_ROWS } from "../app/live-index/shop-projections.server";
import { DEFAULT_PROJECTION } from "../app/live-index/projection-config";
import { seededRandom } from "../app/shared/seeded-random";
import { yielder } from "../app/shared/event-loop-turns";
import { benchOutput } from "./lib/bench-output";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const rounds = Number(arg("rounds", "3"));
const { emit } = benchOutput();
const rand = seededRandom(1);
const cases = [
  { channel: "image", inDim: 1280, outDim: DEFAULT_PROJECTION.image },
  { channel: "text", inDim: 576, outDim: DEFAULT_PROJECTION.text },
];
const results = [];
for (const c of cases) {
  const samples = Array.from({ length: SAMPLE_ROWS }, () => Float32Array.from({ length: c.inDim }, () => rand() - 0.5));
  const cpuMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    await fitProjection(samples, c.outDim, { pause: yielder(8) });
    const used = process.cpuUsage(before);
    cpuMs.push(Math.round((used.user + used.system) / 1000));
  }
  console.log(`${c.channel}: ${SAMPLE_ROWS} × ${c.inDim} → ${c.outDim}: CPU ${cpuMs.join(" / ")} ms`);
  results.push({ ...c, samples: SAMPLE_ROWS, cpuMs });
}
emit({ rounds, results });
