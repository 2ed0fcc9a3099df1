import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchImageBytes, isPrivateAddress, type ImageFetchPolicy } from "./image-fetch.server";

const open: ImageFetchPolicy = { allowLocalFiles: false, allowPrivateAddresses: true, allowedHosts: null, timeoutMs: 500, maxBytes: 1_000 };
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/ok.jpg") return res.end(Buffer.alloc(100, 1));
    if (req.url === "/big.jpg") return res.end(Buffer.alloc(5_000, 1));
    if (req.url === "/slow.jpg") return setTimeout(() => res.end("late"), 2_000);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => server.close());

describe("fetchImageBytes", () => {
  it("downloads within limits", async () => {
    expect((await fetchImageBytes(`${base}/ok.jpg`, open)).length).toBe(100);
  });

  it("names what went wrong: 404, timeout, too large", async () => {
    await expect(fetchImageBytes(`${base}/missing.jpg`, open)).rejects.toMatchObject({ code: "not_found" });
    await expect(fetchImageBytes(`${base}/slow.jpg`, open)).rejects.toMatchObject({ code: "timeout" });
    await expect(fetchImageBytes(`${base}/big.jpg`, open)).rejects.toMatchObject({ code: "too_large" });
  });

  it("refuses private addresses and hosts off the allow-list in production mode (no SSRF)", async () => {
    const prod = { ...open, allowPrivateAddresses: false };
    await expect(fetchImageBytes(`${base}/ok.jpg`, prod)).rejects.toMatchObject({ code: "refused" });
    await expect(fetchImageBytes("http://169.254.169.254/latest/meta-data", prod)).rejects.toMatchObject({ code: "refused" });
    await expect(fetchImageBytes("https://evil.example/x.jpg", { ...prod, allowedHosts: ["cdn.shopify.com"] })).rejects.toMatchObject({ code: "refused" });
  });

  it("reads local files only when allowed (operator imports)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "img-"));
    writeFileSync(path.join(dir, "a.jpg"), Buffer.alloc(10, 2));
    const url = pathToFileURL(path.join(dir, "a.jpg")).href;
    await expect(fetchImageBytes(url, open)).rejects.toMatchObject({ code: "refused" });
    expect((await fetchImageBytes(url, { ...open, allowLocalFiles: true })).length).toBe(10);
    await expect(fetchImageBytes("gopher://x/", open)).rejects.toMatchObject({ code: "refused" });
  });

  it("classifies private addresses", () => {
    for (const ip of ["10.0.0.1", "127.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1"]) expect(isPrivateAddress(ip)).toBe(true);
    for (const ip of ["23.227.38.65", "151.101.1.1", "2606:4700::1"]) expect(isPrivateAddress(ip)).toBe(false);
  });

  it("refuses every IPv6 spelling of a private IPv4 address (mapped, compatible, NAT64, 6to4, Teredo)", () => {
    for (const ip of [
      "::ffff:7f00:1", // IPv4-mapped 127.0.0.1 in hex (what new URL() normalises [::ffff:127.0.0.1] to)
      "::ffff:a9fe:a9fe", // IPv4-mapped 169.254.169.254
      "::127.0.0.1", // IPv4-compatible
      "::7f00:1",
      "64:ff9b::7f00:1", // NAT64 (RFC 6052)
      "64:ff9b:1::a9fe:a9fe", // local-use NAT64 (RFC 8215)
      "2002:7f00:1::", // 6to4
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
      "::", "fe80::1%eth0", "ff02::1", "100::1", "2001:db8::1", "0.0.0.0", "100.64.0.1", "198.18.0.1", "255.255.255.255",
      "not an address",
    ]) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["::ffff:17e3:2641", "2a00:1450:4001:80b::200e"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it("refuses a URL naming loopback as an IPv4-mapped IPv6 literal", async () => {
    const prod = { ...open, allowPrivateAddresses: false };
    const port = new URL(base).port;
    for (const host of ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]"]) {
      await expect(fetchImageBytes(`http://${host}:${port}/ok.jpg`, prod), host).rejects.toMatchObject({ code: "refused" });
    }
  });
});
