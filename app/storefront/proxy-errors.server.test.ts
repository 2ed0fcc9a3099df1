import { describe, expect, it } from "vitest";
import { ProductNotFound } from "../ranking/ranking-errors";
import { ProxyError, proxyErrorOf } from "./proxy-errors.server";

describe("proxyErrorOf", () => {
  it("answers a product the ranking does not know with 404 product_not_found, keeps a ProxyError, leaves anything else to the 500", () => {
    const mapped = proxyErrorOf(new ProductNotFound("nope"));
    expect(mapped).toBeInstanceOf(ProxyError);
    expect([mapped?.status, mapped?.code]).toEqual([404, "product_not_found"]);
    const own = new ProxyError(429, "rate_limited", "Slow down.");
    expect(proxyErrorOf(own)).toBe(own);
    expect(proxyErrorOf(new Error("boom"))).toBeUndefined();
  });
});
