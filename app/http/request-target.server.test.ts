import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { requestTarget } from "./request-target.server";

const req = (method: string, url: string, headers: Record<string, string> = { host: "app.example:3000" }) => ({ method, url, headers }) as unknown as IncomingMessage;

describe("requestTarget", () => {
  it("keeps // as a path instead of making it a host (new URL threw on it)", () => {
    expect(requestTarget(req("GET", "//"))).toEqual({ ok: true, url: "http://app.example:3000//", pathname: "//" });
    expect(requestTarget(req("GET", "//evil.example/x?y=1"))).toMatchObject({ ok: true, url: "http://app.example:3000//evil.example/x?y=1" });
  });

  it("refuses methods outside the allowlist with 405 and Allow", () => {
    for (const m of ["TRACE", "CONNECT", "PROPFIND", "TRACK"]) {
      expect(requestTarget(req(m, "/"))).toMatchObject({ ok: false, status: 405, headers: { Allow: expect.stringContaining("GET") } });
    }
  });

  it("refuses an invalid Host with 400 and ignores an invalid X-Forwarded-Host", () => {
    for (const host of ["bad host", "[::1", "a/b", "x@y", "h\u00e9", "a".repeat(300), ""]) {
      expect(requestTarget(req("GET", "/x", { host }))).toMatchObject({ ok: false, status: 400, kind: "bad-host" });
    }
    expect(requestTarget(req("GET", "/x", { host: "app.example", "x-forwarded-host": "[::1" }))).toMatchObject({ ok: true, url: "http://app.example/x" });
    expect(requestTarget(req("GET", "/x", { host: "app.example", "x-forwarded-host": "shop.example, other" }))).toMatchObject({ ok: true, url: "http://shop.example/x" });
    expect(requestTarget(req("GET", "/x", { host: "[::1]:8080" }))).toMatchObject({ ok: true, url: "http://[::1]:8080/x" });
    expect(requestTarget(req("GET", "/x", {}))).toMatchObject({ ok: true, url: "http://localhost/x" });
  });

  it("refuses overlong, absolute-form and asterisk targets; takes odd but valid paths", () => {
    expect(requestTarget(req("GET", "/" + "a".repeat(9_000)))).toMatchObject({ ok: false, status: 414 });
    expect(requestTarget(req("GET", "http://evil/x"))).toMatchObject({ ok: false, status: 400 });
    expect(requestTarget(req("OPTIONS", "*"))).toMatchObject({ ok: false, status: 400 });
    for (const url of ["/%zz", "/%", "/a%e9b"]) expect(requestTarget(req("GET", url))).toMatchObject({ ok: false, status: 400, kind: "bad-target" });
    for (const url of ["/a/../..", "/\u00ff\u00fe", "/a b", "/x?q=%zz", "/caf%C3%A9"]) expect(requestTarget(req("GET", url)).ok).toBe(true);
  });
});
