import { describe, expect, it } from "vitest";
import { HTTP_ROUTES, routeOf, statusClass } from "./http-routes";

describe("routeOf", () => {
  it("maps the storefront, webhook, admin and static paths to their route", () => {
    expect(routeOf("/proxy/similar")).toBe("similar");
    expect(routeOf("/proxy/visual-search")).toBe("photo");
    expect(routeOf("/proxy/search")).toBe("text");
    expect(routeOf("/proxy/events")).toBe("events");
    expect(routeOf("/proxy/config")).toBe("config");
    expect(routeOf("/proxy/images/123456")).toBe("images");
    expect(routeOf("/apps/lookalike/similar")).toBe("similar");
    expect(routeOf("/webhooks/products/update")).toBe("webhooks");
    expect(routeOf("/app")).toBe("admin");
    expect(routeOf("/app/settings")).toBe("admin");
    expect(routeOf("/app.data")).toBe("admin");
    expect(routeOf("/auth/login")).toBe("admin");
    expect(routeOf("/assets/entry-abc.js", (p) => p.startsWith("/assets/"))).toBe("static");
  });

  it("never returns a value outside the fixed set, whatever the path", () => {
    const odd = ["/", "/proxy", "/proxy/", "/proxy/similar/../../etc", "/proxy/%00", "/appx", "/application", "/webhooksx", "//proxy/similar", "/proxy/" + "a".repeat(5000), "/x?y=/proxy/similar"];
    for (const p of odd) expect(HTTP_ROUTES).toContain(routeOf(p));
    expect(routeOf("/proxy/nope")).toBe("other");
    expect(routeOf("/appx")).toBe("other");
    expect(routeOf("/webhooksx")).toBe("other");
  });
});

describe("statusClass", () => {
  it("is the hundreds of the status, or aborted when the answer never finished", () => {
    expect(statusClass(200, true)).toBe("2xx");
    expect(statusClass(304, true)).toBe("3xx");
    expect(statusClass(429, true)).toBe("4xx");
    expect(statusClass(503, true)).toBe("5xx");
    expect(statusClass(200, false)).toBe("aborted");
    expect(statusClass(999, true)).toBe("other");
  });
});
