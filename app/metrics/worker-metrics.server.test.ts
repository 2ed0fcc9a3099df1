import type { Job, Queue } from "bullmq";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ImageFetchError } from "../catalog/image-fetch.server";
import { ImageInputError } from "../embedding/image/image-errors";
import { workerMetrics } from "./worker-metrics.server";

const series = async (registry: Registry, name: string) => registry.getSingleMetricAsString(name);

describe("worker metrics", () => {
  it("counts embed job attempts by outcome, a throw as error, and times them", async () => {
    const registry = new Registry();
    const m = workerMetrics(registry, { enabled: true, queues: [] });
    const results = [{ status: "embedded" }, { status: "embedded" }, { status: "skipped" }, { status: "failed" }];
    let i = 0;
    const run = m.embedProcessor(async () => {
      const r = results[i++];
      if (!r) throw new Error("database away");
      return r;
    });
    for (let k = 0; k < 4; k++) await run({} as Job);
    await expect(run({} as Job)).rejects.toThrow("database away");
    const jobs = await series(registry, "lookalike_embed_jobs_total");
    expect(jobs).toMatch(/\{outcome="embedded"\} 2$/m);
    expect(jobs).toMatch(/\{outcome="skipped"\} 1$/m);
    expect(jobs).toMatch(/\{outcome="failed"\} 1$/m);
    expect(jobs).toMatch(/\{outcome="error"\} 1$/m);
    expect(await series(registry, "lookalike_embed_job_duration_seconds")).toMatch(/_count\{outcome="embedded"\} 2$/m);
  });

  it("counts photo failures by the fetch error's code, unreadable photos as unreadable", async () => {
    const registry = new Registry();
    const m = workerMetrics(registry, { enabled: true, queues: [] });
    m.imageError(new ImageFetchError("not_found", "gone"));
    m.imageError(new ImageFetchError("http_error", "502", 502));
    m.imageError(new ImageFetchError("http_error", "503", 503));
    m.imageError(new ImageInputError("corrupt"));
    const text = await series(registry, "lookalike_image_fetch_failures_total");
    expect(text).toMatch(/\{cause="not_found"\} 1$/m);
    expect(text).toMatch(/\{cause="http_error"\} 2$/m);
    expect(text).toMatch(/\{cause="unreadable"\} 1$/m);
    expect(text).toMatch(/\{cause="timeout"\} 0$/m);
  });

  it("off: the processor is the same function and nothing is registered", async () => {
    const registry = new Registry();
    const run = async () => ({ status: "embedded" });
    expect(workerMetrics(registry, { enabled: false, queues: [] }).embedProcessor(run)).toBe(run);
    expect((await registry.metrics()).trim()).toBe("");
  });
});

describe("queue depths", () => {
  it("are read from each queue at scrape time, and go absent when the queues cannot be read", async () => {
    const registry = new Registry();
    let counts: Record<string, number> | Error = { waiting: 3, active: 1, delayed: 0, failed: 2 };
    // A stand-in with BullMQ's getJobCounts shape (a real Queue is exercised in test/metrics-prometheus.test.ts).
    const queue = { name: "lookalike-embed", getJobCounts: async () => (counts instanceof Error ? Promise.reject(counts) : counts) } as unknown as Queue;
    workerMetrics(registry, { enabled: true, queues: [queue] });
    const text = await series(registry, "lookalike_queue_jobs");
    expect(text).toMatch(/^lookalike_queue_jobs\{queue="lookalike-embed",state="waiting"\} 3$/m);
    expect(text).toMatch(/^lookalike_queue_jobs\{queue="lookalike-embed",state="failed"\} 2$/m);
    counts = new Error("Connection is closed.");
    expect(await series(registry, "lookalike_queue_jobs")).not.toMatch(/^lookalike_queue_jobs\{/m);
  });
});
