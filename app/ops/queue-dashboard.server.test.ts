import { describe, expect, it } from "vitest";
import { authorized, opsCredentialsFromEnv, safeEqual } from "./queue-dashboard.server";

const env = (e: Record<string, string>) => e as NodeJS.ProcessEnv;
const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;

describe("operators' credentials", () => {
  it("are off unless OPS_USER and OPS_PASSWORD, or OPS_TOKEN, are set (a half pair says so and opens nothing)", () => {
    const lines: string[] = [];
    const warn = (l: string) => lines.push(l);
    expect(opsCredentialsFromEnv(env({}), warn)).toBeNull();
    expect(opsCredentialsFromEnv(env({ OPS_USER: "", OPS_PASSWORD: "", OPS_TOKEN: "" }), warn)).toBeNull();
    expect(opsCredentialsFromEnv(env({ OPS_USER: "ops" }), warn)).toBeNull();
    expect(opsCredentialsFromEnv(env({ OPS_PASSWORD: "secret" }), warn)).toBeNull();
    expect(lines).toEqual([expect.stringContaining("OPS_USER without OPS_PASSWORD"), expect.stringContaining("OPS_PASSWORD without OPS_USER")]);
    expect(opsCredentialsFromEnv(env({ OPS_USER: "ops", OPS_PASSWORD: "secret" }), warn)).toEqual({ basic: { user: "ops", password: "secret" } });
    expect(opsCredentialsFromEnv(env({ OPS_TOKEN: "t0k" }), warn)).toEqual({ token: "t0k" });
  });

  it("basic: user and password both right, the password may hold colons; bearer: the token", () => {
    const creds = { basic: { user: "ops", password: "a:b:c" }, token: "tok" };
    expect(authorized(basic("ops:a:b:c"), creds)).toBe(true);
    expect(authorized(`basic   ${Buffer.from("ops:a:b:c").toString("base64")}`, creds)).toBe(true);
    expect(authorized("Bearer tok", creds)).toBe(true);
    for (const h of [undefined, "", "Basic", "Bearer", "Bearer ", basic("ops:a:b"), basic("ops:a:b:c "), basic("opz:a:b:c"), basic(":a:b:c"), basic("ops"), "Bearer tok2", "Bearer to", `Token tok`, basic("ops:tok")]) {
      expect(authorized(h, creds), String(h)).toBe(false);
    }
    // A scheme whose credentials are not configured never opens.
    expect(authorized(basic("ops:a:b:c"), { token: "tok" })).toBe(false);
    expect(authorized("Bearer tok", { basic: creds.basic })).toBe(false);
  });

  it("compares in constant time over equal-length digests (different lengths do not throw)", () => {
    expect(safeEqual("a", "a")).toBe(true);
    expect(safeEqual("a", "ab")).toBe(false);
    expect(safeEqual("", "x".repeat(10_000))).toBe(false);
  });
});
