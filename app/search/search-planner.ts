/**
 * Query planner for the shop vector index: per query, plain HNSW, filtered HNSW or an exact scan
 * of the matching products.
 *
 * A filter's candidates come from the index's attribute indexes (attribute-postings.ts: price
 * order, posting lists), so a selective filter costs O(candidates), not a pass over the catalog.
 * Up to `verifyMaxCandidates` candidates are all checked (exact match count); beyond that a
 * deterministic sample of them estimates the selectivity, and a clearly unselective filter goes
 * to filtered HNSW with the predicate as its callback, never materialising the matches — the
 * index falls back to an exact scan if HNSW then returns fewer than k.
 */
import type { AttributePostings } from "./attribute-postings";
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
  /** A filter's candidates are all checked up to this many; beyond, a sample estimates the selectivity. */
  verifyMaxCandidates: number;
  /** Candidates checked to estimate a filter's selectivity (evenly spaced, so the plan is deterministic). */
  selectivitySample: number;
  /**
   * Filtered HNSW on an estimate only when the sample says at least this share of the catalog
   * matches (2× exactScanMaxSelectivity: a 512 sample's error is ±2–3 points); below, every
   * candidate is checked and the exact rules decide.
   */
  estimateMinSelectivity: number;
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
  verifyMaxCandidates: 20_000,
  selectivitySample: 512,
  estimateMinSelectivity: 0.1,
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
  /**
   * HNSW with a filter callback: `accept(label)` is the filter. `matches` is exact, or an estimate
   * from a sample when `estimated` (then at least `estimateMinSelectivity` of the catalog);
   * `matchingLabels()` lists them exactly, for the exact fallback.
   */
  | { kind: "filtered-hnsw"; matches: number; estimated: boolean; ef: number; accept: (label: number) => boolean; matchingLabels: () => Int32Array };

export interface PlanInput {
  k: number;
  filter?: ProductFilter;
  efSearch?: number;
  /** label of the query product that must not be returned */
  excludeLabel?: number;
  /** number of live (not deleted) products */
  liveCount: number;
  /** one past the highest label in use */
  labelBound: number;
  /** label → id, undefined for deleted labels */
  idByLabel: ArrayLike<string | undefined>;
  /** label → normalised attributes, undefined for deleted labels */
  attrsByLabel: ArrayLike<NormalizedAttributes | undefined>;
  /** The index's attribute indexes; without them every label is a candidate. */
  postings?: AttributePostings;
  config?: Partial<PlannerConfig>;
}

/** The smallest ef an unfiltered search of a catalog of `live` products uses: it grows with the catalog. */
function unfilteredMinEf(cfg: PlannerConfig, live: number): number {
  const tiers = cfg.unfilteredEfBySize;
  for (const tier of tiers) if (live <= tier.maxLive) return tier.ef;
  return tiers.length > 0 ? tiers[tiers.length - 1].ef : cfg.minEf;
}

/** Plans chosen since the process started, by kind (read by the web metrics at scrape time). */
export const planCounts: Record<SearchPlan["kind"], number> = { hnsw: 0, "filtered-hnsw": 0, exact: 0 };

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

  const filter = input.filter!;
  const pred = compileNormalizedFilter(filter);
  const { idByLabel, attrsByLabel, excludeLabel, labelBound, liveCount } = input;
  const accept = (label: number) => {
    const attrs = attrsByLabel[label];
    return attrs !== undefined && label !== excludeLabel && pred(attrs, idByLabel[label]);
  };
  const candidates = input.postings?.candidates(filter, attrsByLabel, labelBound, liveCount);
  const candidateCount = candidates ? candidates.size : labelBound;
  const candidateAt = candidates ? (i: number) => candidates.at(i) : (i: number) => i; // -1: skip
  const forEachCandidate = candidates
    ? (fn: (label: number) => void) => candidates.forEach(fn)
    : (fn: (label: number) => void) => {
        for (let label = 0; label < labelBound; label++) fn(label);
      };
  const matchingLabels = () => {
    const out: number[] = [];
    forEachCandidate((label) => {
      if (accept(label)) out.push(label);
    });
    return Int32Array.from(out).sort();
  };
  const efFor = (selectivity: number) =>
    Math.max(k, Math.min(Math.max(cfg.maxFilteredEf, k), Math.ceil(baseEf / Math.pow(selectivity, cfg.filteredEfExponent))));

  if (candidateCount > cfg.verifyMaxCandidates && liveCount > 0) {
    // Many candidates: estimate from an evenly spaced sample of them.
    const step = candidateCount / Math.min(cfg.selectivitySample, candidateCount);
    let seen = 0;
    let hits = 0;
    for (let x = 0; x < candidateCount; x += step) {
      const label = candidateAt(Math.floor(x));
      if (label < 0 || attrsByLabel[label] === undefined) continue;
      seen++;
      if (accept(label)) hits++;
    }
    const liveCandidates = candidates ? candidateCount : liveCount; // deleted candidates are rare (touched or awaiting a rebuild)
    const selectivity = seen > 0 ? ((hits / seen) * liveCandidates) / liveCount : 0;
    const matches = Math.round(selectivity * liveCount);
    if (selectivity >= cfg.estimateMinSelectivity && matches > cfg.exactScanMaxMatches) {
      return { kind: "filtered-hnsw", matches, estimated: true, ef: efFor(selectivity), accept, matchingLabels };
    }
  }

  // Every candidate checked, in one pass: the matches are counted, and listed only as far as an
  // exact plan could use them (no list of thousands for a filter that goes to HNSW).
  const listCap = Math.max(cfg.exactScanMaxMatches, Math.ceil(cfg.exactScanMaxSelectivity * liveCount));
  let listed: number[] | undefined = [];
  let matches = 0;
  forEachCandidate((label) => {
    if (!accept(label)) return;
    matches++;
    if (listed && listed.push(label) > listCap) listed = undefined;
  });
  const selectivity = liveCount > 0 ? matches / liveCount : 0;
  if (listed && (matches <= cfg.exactScanMaxMatches || selectivity < cfg.exactScanMaxSelectivity)) {
    return { kind: "exact", matches, labels: Int32Array.from(listed).sort() };
  }
  return { kind: "filtered-hnsw", matches, estimated: false, ef: efFor(selectivity), accept, matchingLabels };
}
