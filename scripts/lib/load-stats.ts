/** Small figures the load runs (soak, hostile mix) share: latency quantiles and a process's RSS. */
import { readFileSync } from "node:fs";

/** The p-quantile of an ascending list (NaN when empty). */
export function quantile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

/** A process's resident memory in MB, from /proc (NaN when unreadable). */
export function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
