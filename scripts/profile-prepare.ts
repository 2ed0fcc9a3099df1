/**
 * Where prepareImage's time goes, stage by stage, on real photos (luma-dev).
 *   tsx scripts/profile-prepare.ts [--dataset DIR] [--images N] [--rounds N]
 * CPU time (process.cpuUsage: this thread, libuv's and libvips' threads together) per photo,
 * sequential, after a warm-up round; the figure that bounds throughput when ORT keeps every core
 * busy. Prints a table and a JSON line.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { analysePhoto } from "../app/embedding/image/image-analysis";
import { decodePhoto, fitToInput, prepareImage, toNormalisedChw } from "../app/embedding/image/image-preprocess.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../app/embedding/models/model-registry";

const { values } = parseArgs({
  options: {
    dataset: { type: "string" },
    images: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const dataset = path.resolve(values.dataset ?? process.env.LUMA_DEV_DIR ?? "../shared/datasets/luma-dev");
interface CatalogLine { media: { nodes: { image: { url: string } }[] } }
const files = readFileSync(path.join(dataset, "catalog.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .flatMap((l) => (JSON.parse(l) as CatalogLine).media.nodes.map((m) => path.join(dataset, m.image.url)))
  .slice(0, Number(values.images));
const photos = files.map((f) => readFileSync(f));
const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

const stages = ["decode (checks, metadata, decode)", "analysis (background, box, colour)", "trim + fit (sharp)", "normalise + white canvas", "prepareImage, whole"] as const;
const totals = new Map<string, number>(stages.map((s) => [s, 0]));
const rounds = Number(values.rounds);
for (let round = 0; round <= rounds; round++) {
  for (const bytes of photos) {
    const lap: number[] = [cpuMs()];
    const photo = await decodePhoto(bytes);
    lap.push(cpuMs());
    const { box } = analysePhoto(photo.rgb, photo.width, photo.height);
    lap.push(cpuMs());
    const fitted = await fitToInput(photo, box, spec);
    lap.push(cpuMs());
    toNormalisedChw(fitted.rgb, fitted.width, fitted.height, spec);
    lap.push(cpuMs());
    await prepareImage(bytes);
    lap.push(cpuMs());
    if (round === 0) continue; // warm-up
    stages.forEach((s, i) => totals.set(s, totals.get(s)! + lap[i + 1] - lap[i]));
  }
}
const per = (s: string) => totals.get(s)! / (photos.length * rounds);
console.log(`machine: ${os.availableParallelism?.() ?? os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${photos.length} photos x ${rounds} rounds`);
for (const s of stages) console.log(`${s.padEnd(42)} ${per(s).toFixed(2).padStart(6)} ms CPU/photo`);
console.log(JSON.stringify({ photos: photos.length, rounds, loadavg: os.loadavg(), cpuMsPerPhoto: Object.fromEntries(stages.map((s) => [s, +per(s).toFixed(2)])) }));
