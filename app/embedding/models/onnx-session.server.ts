/** The onnxruntime session options every model of this app runs with (image and text embedders, benchmarks). */
import os from "node:os";
import type * as ort from "onnxruntime-node";
import { int8KernelSaturates } from "./int8-kernel.server";

/**
 * Session options used everywhere (embedder and benchmark), so they are compared like for like.
 * `exactInt8` (default: int8KernelSaturates()) sets `session.x64quantprecision`, exact u8u8
 * arithmetic instead of x86's saturating u8s8 kernel on CPUs without VNNI (int8-kernel.server.ts).
 */
export function sessionOptions(intraOpThreads?: number, exactInt8: boolean = int8KernelSaturates()): ort.InferenceSession.SessionOptions {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: Math.max(1, intraOpThreads ?? cores),
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
    extra: { session: { x64quantprecision: exactInt8 ? "1" : "0" } },
  };
}
