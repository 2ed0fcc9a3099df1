/**
 * Which int8 arithmetic onnxruntime's CPU kernels do on this machine, for the int8 image model.
 *
 * On x86-64 CPUs without VNNI (AVX2, and AVX-512 before Cascade Lake / Zen 4) the default u8s8
 * kernel adds pairs of int8 products in saturating 16-bit integers (`vpmaddubsw`), so an int8
 * MobileNetV2 computes other — worse — features there: luma-dev photo R@1 0.92 instead of 0.95
 * (docs/quality.md, "Same code, another CPU"). `session.x64quantprecision` makes those CPUs use
 * exact u8u8 arithmetic instead. With VNNI (`avx512_vnni`, `avx_vnni`) the default kernel is exact
 * already and the option only costs: on such a CPU the vectors are the same bit for bit with and
 * without it, and raw inference is 22–34 % slower with it (docs/benchmarks.md, "VNNI"). Every
 * machine therefore computes the same exact arithmetic, each with its cheapest kernel, and a fleet
 * may mix CPUs.
 */
import { readFileSync } from "node:fs";

/** True when onnxruntime's default int8 kernel saturates here, i.e. when exact arithmetic must be asked for. */
export function int8KernelSaturates(arch: string = process.arch, cpuinfo: string | null = readCpuinfo()): boolean {
  if (arch !== "x64") return false; // the option and the saturating kernel are x86-64's
  if (cpuinfo === null) return true; // flags unknown (not Linux): exact and slower, never fast and wrong
  const flags = new Set(cpuinfo.match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? []);
  return !flags.has("avx512_vnni") && !flags.has("avx_vnni");
}

let cpuinfoCache: string | null | undefined;

function readCpuinfo(): string | null {
  if (cpuinfoCache === undefined) {
    try {
      cpuinfoCache = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      cpuinfoCache = null;
    }
  }
  return cpuinfoCache;
}
