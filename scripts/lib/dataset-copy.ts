/**
 * Test catalogs made from a shared dataset (`../shared/datasets/<name>`, its README): the new
 * catalog's directory links the dataset's photos instead of copying them, and reads its labels.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";

/** Makes `outDir` with `images/` and `queries/` linked to the dataset's (never copied). */
export function linkDatasetPhotos(datasetDir: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const sub of ["images", "queries"]) if (!existsSync(path.join(outDir, sub))) symlinkSync(path.resolve(datasetDir, sub), path.join(outDir, sub));
}

/** The dataset's `labels.jsonl`, by product id. */
export function readLabels<L extends { productId: string }>(datasetDir: string): Map<string, L> {
  const labels = new Map<string, L>();
  for (const line of readFileSync(path.join(datasetDir, "labels.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const l = JSON.parse(line) as L;
    labels.set(l.productId, l);
  }
  return labels;
}
