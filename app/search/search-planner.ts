/**
 * Query planner for the shop vector index.
 *
 * The current implementation counts matching products with an O(n) scan over
 * the in-memory attributes. It is isolated here so a later change can replace
 * it with numeric/tag indexes without touching the search code.
 */
import { compileNormalizedFilter, isEmptyFilter, type NormalizedAttributes, type ProductFilter } from "./filters";

export interface PlannerConfig {
  /** Exact scan when the number of matching products is at most this. */
  exactScanMaxMatches: number;
  /** Exact scan when matches / live products is below this. */
  exactScanMaxSelectivity: number;
  /** Minimum ef for any HNSW search (and the base of the filtered ef). */
  minEf: number;
  /**
   * The smallest ef of an unfiltered search, by catalog size: the first tier whose `maxLive` is at
   * least the number of live products applies. Measured with scripts/bench-index.ts on generated
   * 1,844-d catalogs (docs/benchmarks.md, "Search"), recall@10 against an exact scan:
   * - ≤ 100k → 64: with M 24 / efConstruction 200, 0.9995 at 20k, 0.9985 at 50k and 0.996 at 100k
   *   (ef 128: 1.000) for 0.66×, 0.76× and 0.86× of ef 128's time (the similar-products search is
   *   the largest item of a web process's main-thread time in the soak, and all of a cache miss);
   * - ≤ 500k → 256: at 300k ef 128 gave 0.972, ef 256 0.998;
   * - above → 512: at 1M ef 256 gave 0.972, ef 512 1.000 (12.4 against 9.8 ms a query).
   * (With the older M 16 / efConstruction 100 graph, 100k needed ef 128: 64 gave 0.949.)
   */
  unfilteredEfBySize: ReadonlyArray<{ maxLive: number; ef: number }>;
  /** Upper bound for the ef of a filtered HNSW search. */
  maxFilteredEf: number;
  /**
   * Filtered HNSW ef = baseEf / selectivity^exponent. 1 = the full 1/selectivity
   * scaling; hnswlib's filtered search already keeps exploring until it holds ef
   * *matching* results, so a smaller exponent (e.g. 0.5) may be enough — see bench.
   */
  filteredEfExponent: number;
}

export const DEFAULT_PLANNER_CONFIG: PlannerConfig = {
  exactScanMaxMatches: 2_000,
  exactScanMaxSelectivity: 0.05,
  minEf: 64,
  unfilteredEfBySize: [
    { maxLive: 100_000, ef: 64 },
    { maxLive: 500_000, ef: 256 },
    { maxLive: Infinity, ef: 512 },
  ],
  maxFilteredEf: 2_048,
  // 1/√selectivity: at 100k × 1,844-d (scripts/bench-index.ts) the same recall@10 (1.000 at 10%,
  // 0.998 at 50%) as the full 1/selectivity scaling, at ~0.6× its time at 10% selectivity.
  filteredEfExponent: 0.5,
};

export type SearchPlan =
  /** Plain HNSW; ask for `kAsk` neighbours (k, +1 when the query product must be dropped). */
  | { kind: "hnsw"; matches: number; ef: number; kAsk: number; excludeLabel?: number }
  /** Exact scan over `labels` (all matching labels). */
  | { kind: "exact"; matches: number; labels: Int32Array }
  /** HNSW with a filter callback; `allowed[label] === 1` marks matching labels. */
  | { kind: "filtered-hnsw"; matches: number; ef: number; allowed: Uint8Array; labels: Int32Array };

export interface PlanInput {
  k: number;
  filter?: ProductFilter;
  efSearch?: number;
  /** label of the query product that must not be returned */
  excludeLabel?: number;
  /** number of live (not deleted) products */
  liveCount: number;
  /** one past the highest label in use (size of the `allowed` bitmap) */
  labelBound: number;
  /** label → id, undefined for deleted labels */
  idByLabel: ArrayLike<string | undefined>;
  /** label → normalised attributes, undefined for deleted labels */
  attrsByLabel: ArrayLike<NormalizedAttributes | undefined>;
  config?: Partial<PlannerConfig>;
}

/** The smallest ef an unfiltered search of a catalog of `live` products uses: it grows with the catalog. */
function unfilteredMinEf(cfg: PlannerConfig, live: number): number {
  const tiers = cfg.unfilteredEfBySize;
  for (const tier of tiers) if (live <= tier.maxLive) return tier.ef;
  return tiers.length > 0 ? tiers[tiers.length - 1].ef : cfg.minEf;
}

export function planSearch(input: PlanInput): SearchPlan {
  const cfg = { ...DEFAULT_PLANNER_CONFIG, ...input.config };
  const k = input.k;
  const baseEf = Math.max(k, cfg.minEf, input.efSearch ?? 0);

  if (isEmptyFilter(input.filter)) {
    const matches = input.liveCount - (input.excludeLabel !== undefined ? 1 : 0);
    return {
      kind: "hnsw",
      matches: Math.max(0, matches),
      ef: Math.max(baseEf, unfilteredMinEf(cfg, input.liveCount)) + (input.excludeLabel !== undefined ? 1 : 0),
      kAsk: k + (input.excludeLabel !== undefined ? 1 : 0),
      excludeLabel: input.excludeLabel,
    };
  }

  const pred = compileNormalizedFilter(input.filter!);
  const allowed = new Uint8Array(input.labelBound);
  const matching: number[] = [];
  const { idByLabel, attrsByLabel } = input;
  for (let label = 0; label < input.labelBound; label++) {
    const attrs = attrsByLabel[label];
    if (attrs === undefined || label === input.excludeLabel) continue;
    if (pred(attrs, idByLabel[label])) {
      allowed[label] = 1;
      matching.push(label);
    }
  }
  const labels = Int32Array.from(matching);
  const matches = labels.length;
  const selectivity = input.liveCount > 0 ? matches / input.liveCount : 0;

  if (matches <= cfg.exactScanMaxMatches || selectivity < cfg.exactScanMaxSelectivity) {
    return { kind: "exact", matches, labels };
  }
  const ef = Math.min(Math.max(cfg.maxFilteredEf, k), Math.ceil(baseEf / Math.pow(selectivity, cfg.filteredEfExponent)));
  return { kind: "filtered-hnsw", matches, ef: Math.max(ef, k), allowed, labels };
}
