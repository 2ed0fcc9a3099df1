import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSidecar, SIDECAR_FILE, writeSidecar, type Sidecar } from "./catalog-sidecar.server";

type Card = { title: string; price: string };

function sidecar(n: number): Sidecar<Card> {
  return {
    imageModelId: "model-a",
    textModelId: "hashed",
    version: 7,
    imageMean: { mean: [0.25, -0.5], count: n },
    facets: [["men", "women"]],
    facetsCount: n,
    facetShares: [[0.5, 0.5]],
    rows: Array.from({ length: n }, (_, i) => [String(1000 + i), 1_700_000_000_000 + i, { title: `Product ${i} — “quoted”, ünïcode 🧥`, price: `${i}.00` }]),
  };
}

describe("catalog sidecar", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sidecar-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads back exactly what was written, across many row chunks", async () => {
    const s = sidecar(2_345);
    await writeSidecar(dir, s);
    expect(await readSidecar<Card>(dir)).toEqual(s);
    // One header line, then the rows in chunks (a big shop is parsed a chunk at a time).
    expect((await readFile(path.join(dir, SIDECAR_FILE), "utf8")).trim().split("\n").length).toBeGreaterThan(4);
  });

  it("writes rows given as columns (how a live catalog captures them) as it writes them given as rows", async () => {
    const s = sidecar(1_234);
    await writeSidecar(dir, s);
    const asRows = await readFile(path.join(dir, SIDECAR_FILE), "utf8");
    const columns = { ids: s.rows.map((r) => r[0]), versions: Float64Array.from(s.rows, (r) => r[1]), cards: s.rows.map((r) => r[2]) };
    await writeSidecar(dir, { ...s, rows: columns });
    expect(await readFile(path.join(dir, SIDECAR_FILE), "utf8")).toBe(asRows);
    expect(await readSidecar<Card>(dir)).toEqual(s);
  });

  it("reads an empty catalog", async () => {
    await writeSidecar(dir, sidecar(0));
    expect((await readSidecar<Card>(dir))?.rows).toEqual([]);
  });

  it("says null for a missing, truncated or foreign file, so the shop is rebuilt from the database", async () => {
    expect(await readSidecar(dir)).toBeNull();
    await writeSidecar(dir, sidecar(1_200));
    const file = path.join(dir, SIDECAR_FILE);
    const size = (await readFile(file)).length;
    await truncate(file, Math.floor(size * 0.7)); // cut mid-line
    expect(await readSidecar(dir)).toBeNull();
    await writeSidecar(dir, sidecar(1_200));
    const lines = (await readFile(file, "utf8")).split("\n");
    await writeFile(file, lines.filter((_, i) => i !== 2).join("\n")); // a whole chunk missing
    expect(await readSidecar(dir)).toBeNull();
    await writeFile(file, JSON.stringify({ ...sidecar(3) })); // the earlier single-JSON format
    expect(await readSidecar(dir)).toBeNull();
  });
});
