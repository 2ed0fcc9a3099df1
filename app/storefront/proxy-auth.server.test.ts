import { beforeAll, describe, expect, it } from "vitest";
import { appProxySignature, signAppProxyQuery } from "../demo/app-proxy-signature";
import { authenticateProxyParams, RESERVED_PROXY_PARAMS } from "./proxy-auth.server";
import { ProxyError } from "./proxy-errors.server";

const SECRET = "proxy-auth-test-secret";
beforeAll(() => {
  // config() is read once per process, on first use: this test's process signs with its own secret.
  process.env.SHOPIFY_API_SECRET = SECRET;
});

const A = "shop-a.myshopify.com";
const B = "shop-b.myshopify.com";

/** A correctly signed query, after `extra` appended (Shopify signs repeated values joined by ","). */
function signedWith(extra: [string, string][]): URLSearchParams {
  const params = signAppProxyQuery(new URLSearchParams({ product_id: "1" }), { shop: A, secret: SECRET });
  params.delete("signature");
  for (const [k, v] of extra) params.append(k, v);
  params.set("signature", appProxySignature(params, SECRET));
  return params;
}

function statusOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return (err as ProxyError).status;
  }
  return 200;
}

describe("authenticateProxyParams", () => {
  it("accepts a signed request and scopes it to the signed shop", () => {
    expect(authenticateProxyParams(signedWith([]))).toEqual({ shop: A, pathPrefix: "/apps/lookalike" });
  });

  it("refuses a correctly signed request that repeats shop (signed as 'shop=A,B', read as A)", () => {
    const params = signedWith([["shop", B]]);
    expect(params.getAll("shop")).toEqual([A, B]);
    expect(statusOf(() => authenticateProxyParams(params))).toBe(401);
  });

  it("refuses every repeated reserved parameter, even with a valid signature", () => {
    const repeats: Record<(typeof RESERVED_PROXY_PARAMS)[number], string> = {
      shop: B,
      timestamp: String(Math.floor(Date.now() / 1000)),
      path_prefix: "/apps/other",
      logged_in_customer_id: "42",
      signature: "",
    };
    for (const name of RESERVED_PROXY_PARAMS) {
      const params = name === "signature" ? signedWith([]) : signedWith([[name, repeats[name]]]);
      if (name === "signature") params.append("signature", params.get("signature")!);
      expect(statusOf(() => authenticateProxyParams(params)), name).toBe(401);
    }
  });

  it("still allows repeated non-reserved parameters (tag=a&tag=b)", () => {
    expect(statusOf(() => authenticateProxyParams(signedWith([["tag", "a"], ["tag", "b"]])))).toBe(200);
  });
});
