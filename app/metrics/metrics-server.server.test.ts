import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Counter, Registry } from "prom-client";
import { bearerMatches, createMetricsServer } from "./metrics-server.server";

function registryWithOneCounter(): Registry {
  const registry = new Registry();
  new Counter({ name: "lookalike_test_things_total", help: "things", registers: [registry] }).inc(3);
  return registry;
}

let close: (() => void) | undefined;
afterEach(() => close?.());

async function serve(token?: string): Promise<string> {
  const server = createMetricsServer({ registry: registryWithOneCounter(), token });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  close = () => server.close();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("metrics listener", () => {
  it("serves the registry's text at /metrics when no token is set", async () => {
    const base = await serve();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^lookalike_test_things_total 3$/m);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("with a token: 401 and an empty body without it or with a wrong one, the text with it", async () => {
    const base = await serve("s3cret-token");
    for (const headers of <Record<string, string>[]>[{}, { Authorization: "Bearer wrong" }, { Authorization: "Bearer s3cret-token-and-more" }, { Authorization: "Basic s3cret-token" }, { Authorization: "s3cret-token" }]) {
      for (const p of ["/metrics", "/", "/nope"]) {
        const res = await fetch(`${base}${p}`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe("Bearer");
        expect(await res.text()).toBe("");
      }
    }
    const ok = await fetch(`${base}/metrics`, { headers: { Authorization: "Bearer s3cret-token" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("lookalike_test_things_total 3");
  });

  it("compares the bearer token exactly", () => {
    expect(bearerMatches("Bearer abc", "abc")).toBe(true);
    expect(bearerMatches("bearer   abc", "abc")).toBe(true);
    expect(bearerMatches("Bearer abcd", "abc")).toBe(false);
    expect(bearerMatches("Bearer ab", "abc")).toBe(false);
    expect(bearerMatches(undefined, "abc")).toBe(false);
    expect(bearerMatches("Bearer abc def", "abc")).toBe(false);
  });
});
