import { describe, expect, it } from "vitest";
import { KeyedConcurrency } from "./keyed-concurrency";

describe("KeyedConcurrency", () => {
  it("lets `limit` in per key, others keys apart, and forgets idle keys", () => {
    const c = new KeyedConcurrency(2);
    const a1 = c.enter("a");
    const a2 = c.enter("a");
    expect(c.enter("a")).toBeNull();
    expect(c.enter("b")).not.toBeNull();
    a1!();
    a1!(); // idempotent
    expect(c.enter("a")).not.toBeNull();
    expect(c.enter("a")).toBeNull();
    a2!();
  });
});
