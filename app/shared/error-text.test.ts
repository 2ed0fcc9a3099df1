import { describe, expect, it } from "vitest";
import { errorSummary } from "./error-text";

describe("errorSummary", () => {
  it("keeps the last non-empty line of a multi-line message, with the code, bounded", () => {
    const err = Object.assign(new Error("\nInvalid `prisma.shop.findUnique()` invocation:\n\n\nconnect ECONNREFUSED 127.0.0.1:5433\n"), { code: "P1001" });
    expect(errorSummary(err)).toBe("P1001: connect ECONNREFUSED 127.0.0.1:5433");
    expect(errorSummary(new Error("x".repeat(500)))).toHaveLength(200);
    expect(errorSummary("plain")).toBe("plain");
    expect(errorSummary(new Error(""))).toBe("Error");
  });
});
