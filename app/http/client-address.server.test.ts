import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientAddress, trustedProxyHopsFromEnv } from "./client-address.server";

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as unknown as IncomingMessage;

describe("clientAddress", () => {
  it("is the entry the outermost trusted proxy appended, whatever the client wrote before it", () => {
    // One hop (Shopify's app proxy is the peer): the last entry.
    expect(clientAddress(req("10.0.0.1", "203.0.113.5"), 1)).toBe("203.0.113.5");
    expect(clientAddress(req("10.0.0.1", "1.2.3.4, 203.0.113.5"), 1)).toBe("203.0.113.5");
    expect(clientAddress(req("10.0.0.1", "9.9.9.9, 1.2.3.4, 203.0.113.5"), 1)).toBe("203.0.113.5");
    // Two hops (HAProxy in front): the entry before the proxy's own.
    expect(clientAddress(req("10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.1"), 2)).toBe("203.0.113.5");
  });

  it("is the socket's peer without the header, or with no hop trusted", () => {
    expect(clientAddress(req("203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(req("::ffff:203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(req("203.0.113.9", "1.2.3.4"), 0)).toBe("203.0.113.9");
  });

  it("reads TRUSTED_PROXY_HOPS (default 1)", () => {
    expect(trustedProxyHopsFromEnv({} as unknown as NodeJS.ProcessEnv)).toBe(1);
    expect(trustedProxyHopsFromEnv({ TRUSTED_PROXY_HOPS: "2" } as unknown as NodeJS.ProcessEnv)).toBe(2);
    expect(trustedProxyHopsFromEnv({ TRUSTED_PROXY_HOPS: "x" } as unknown as NodeJS.ProcessEnv)).toBe(1);
  });
});
