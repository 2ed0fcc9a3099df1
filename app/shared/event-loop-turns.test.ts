import { describe, expect, it } from "vitest";
import { yielder } from "./event-loop-turns";

const busy = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t <= ms);
};

describe("yielder", () => {
  it("lets other work run only once the stretch is longer than its budget", async () => {
    const pause = yielder(20);
    let ran = false;
    setImmediate(() => (ran = true));
    await pause(); // a short stretch: no turn handed back
    expect(ran).toBe(false);
    busy(25);
    await pause(); // over budget: the pending callback runs first
    expect(ran).toBe(true);
  });
});
