import { describe, expect, it } from "vitest";
import { RefusalLog } from "./refusal-log.server";

describe("RefusalLog", () => {
  it("writes one line per kind per interval, then says how many were left out", () => {
    const lines: string[] = [];
    let now = 0;
    const log = new RefusalLog(10_000, (l) => lines.push(l), () => now);
    for (let i = 0; i < 100; i++) log.note("bad-host", `Host h${i}`);
    log.note("method", "TRACE");
    now = 10_500;
    log.note("bad-host", "Host again");
    expect(lines).toEqual([
      "refused bad-host: Host h0",
      "refused method: TRACE",
      "refused bad-host: Host again (99 more of this kind in the last 11 s)",
    ]);
  });

  it("keeps client text on one short line", () => {
    const lines: string[] = [];
    new RefusalLog(10_000, (l) => lines.push(l)).note("x", `a\r\nb${"c".repeat(500)}`);
    expect(lines[0]).not.toMatch(/[\r\n]/);
    expect(lines[0].length).toBeLessThan(260);
  });
});
