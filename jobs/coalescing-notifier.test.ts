import { describe, expect, it } from "vitest";
import { CoalescingNotifier } from "./coalescing-notifier";

describe("CoalescingNotifier", () => {
  it("turns a burst of per-product events into one bump per shop and one progress update per run", async () => {
    const bumps: string[] = [];
    const progress: [string, number, number][] = [];
    const n = new CoalescingNotifier({ catalogChanged: async (s) => void bumps.push(s), runProgress: async (r, d, f) => void progress.push([r, d, f]) }, 20);
    for (let i = 0; i < 100; i++) {
      n.catalogChanged(i % 2 ? "a" : "b");
      n.runItem("run1", i % 10 !== 0);
    }
    await new Promise((r) => setTimeout(r, 60));
    await n.flush();
    expect(bumps.sort()).toEqual(["a", "b"]);
    expect(progress).toEqual([["run1", 90, 10]]);
  });

  it("flushes what is pending on demand (shutdown)", async () => {
    const bumps: string[] = [];
    const n = new CoalescingNotifier({ catalogChanged: async (s) => void bumps.push(s), runProgress: async () => {} }, 10_000);
    n.catalogChanged("x");
    await n.flush();
    expect(bumps).toEqual(["x"]);
  });
});
