import { describe, expect, it } from "vitest";
import { MicroBatcher } from "./micro-batcher";

function doubler(delayMs = 0) {
  const calls: number[][] = [];
  const b = new MicroBatcher<number, number>({
    maxBatch: 16,
    maxWaitMs: 3,
    run: async (xs) => {
      calls.push(xs);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (xs.includes(-1)) throw new Error("boom");
      return xs.map((x) => x * 2);
    },
  });
  return { b, calls };
}

describe("MicroBatcher", () => {
  it("coalesces concurrent submissions into one batch, preserving order per caller", async () => {
    const { b, calls } = doubler();
    const [r1, r2, r3] = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6])]);
    expect(r1).toEqual([2, 4]);
    expect(r2).toEqual([6]);
    expect(r3).toEqual([8, 10, 12]);
    expect(calls).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it("flushes at maxBatch and splits large submissions", async () => {
    const { b, calls } = doubler(5);
    const xs = Array.from({ length: 40 }, (_, i) => i);
    const out = await b.submit(xs);
    expect(out).toEqual(xs.map((x) => x * 2));
    expect(calls.map((c) => c.length)).toEqual([16, 16, 8]);
  });

  it("rejects only the failing batch", async () => {
    const { b } = doubler();
    await expect(b.submit([1, -1])).rejects.toThrow("boom");
    await expect(b.submit([7])).resolves.toEqual([14]);
  });

  it("refuses work after close", async () => {
    const { b } = doubler();
    b.close();
    await expect(b.submit([1])).rejects.toThrow(/closed/);
  });
});

describe("MicroBatcher with maxWaitMs 0 (opportunistic)", () => {
  it("runs a lone submission without a waiting window, still coalescing one turn's submissions and arrivals during a run", async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>({
      maxBatch: 16,
      maxWaitMs: 0,
      run: async (xs) => {
        calls.push(xs);
        if (calls.length === 1) await gate;
        return xs.map((x) => x + 1);
      },
    });
    const first = Promise.all([b.submit([1]), b.submit([2])]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1, 2]]); // ran on the next turn, both in one batch
    const later = [b.submit([3]), b.submit([4])];
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toHaveLength(1); // queued behind the running batch
    release();
    expect(await first).toEqual([[2], [3]]);
    expect(await Promise.all(later)).toEqual([[4], [5]]);
    expect(calls).toEqual([[1, 2], [3, 4]]);
  });
});
