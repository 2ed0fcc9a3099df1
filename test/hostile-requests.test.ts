/**
 * Hostile and broken clients against the real server.ts over raw sockets: nothing a client sends
 * stops the web process or floods its log; every body is capped as it streams whatever its
 * framing (memory stays bounded); slow photo uploads hold no photo-search slot; the per-client
 * limits key on the address our trusted proxy saw, not on what the client wrote.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../app/shared/seeded-random";
import { generateCatalog } from "../scripts/lib/generated-catalog";
import { appEnv, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { signedUrl } from "./support/app-proxy-client";
import { createTestDatabase, type TestDatabase } from "./support/databases";

const shop = "hostile.myshopify.com";
const DEADLINE_MS = 3_000;
const SLOTS = 2;
let database: TestDatabase;
let app: AppEnv;
let web: RunningProcess;
let worker: RunningProcess;
let jpeg: Buffer;
const productId = "9100000001";

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  app = await appEnv(database.url, {
    SEARCH_CACHE: "0",
    PHOTO_SEARCH_MAX_IN_FLIGHT: String(SLOTS),
    PHOTO_UPLOAD_DEADLINE_MS: String(DEADLINE_MS),
    PHOTO_UPLOADS_PER_CLIENT: "2",
    RATE_LIMIT_SIMILAR_IP: "5",
    // Every storefront event is charged to its client (similar-products answers read from a stored
    // neighbour list, like cached ones, are not): the client-address tests below count on events.
    RATE_LIMIT_EVENTS_IP: "5",
    // The production log: one JSON object a line (the tests below count and read them).
    LOG_FORMAT: "json",
  });
  const file = await generateCatalog(path.join(app.dataDir, "catalog"));
  [web, worker] = await Promise.all([startWeb(app), startWorker(app)]);
  const res = await runCli(["scripts/catalog-import.ts", "--shop", shop, "--file", file, "--wait"], app.env);
  expect(res.code, res.stderr).toBe(0);
  jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#c00" } }).jpeg().toBuffer();
}, 240_000);

afterAll(async () => {
  await Promise.all([web?.stop(), worker?.stop()]);
  await database?.drop();
  await app?.cleanup();
});

// ---------------------------------------------------------------------------------------------
// Raw sockets

/** Sends `bytes` as they are and collects the answer until the server closes or `waitMs` passes. */
function exchange(bytes: Buffer, waitMs = 3_000): Promise<{ status: number | null; text: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(app.port, "127.0.0.1");
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(done, waitMs);
    socket.on("data", (d) => chunks.push(d));
    socket.on("close", done);
    socket.on("error", () => {});
    socket.write(bytes);
  });
}

const pathOf = (url: string) => url.slice(url.indexOf("/proxy/"));

/**
 * Streams a body of `total` bytes (never allocated: one 64 KB chunk written again and again, with
 * backpressure), chunked or with Content-Length, until the server answers or closes.
 */
function streamBody(head: string, total: number, chunked: boolean): Promise<{ status: number | null; ms: number; sent: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const frame = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]) : chunk;
    let sent = 0;
    let answer = "";
    let finished = false;
    const socket = net.connect(app.port, "127.0.0.1");
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolve({ status: m ? Number(m[1]) : null, ms: Date.now() - started, sent });
    };
    socket.on("data", (d) => {
      answer += d.toString("latin1");
      if (/\r\n\r\n/.test(answer)) finish();
    });
    socket.on("close", finish);
    socket.on("error", () => {});
    const pump = () => {
      while (!finished && sent < total) {
        sent += chunk.length;
        if (!socket.write(frame)) return void socket.once("drain", pump);
      }
      if (!finished && chunked) socket.write("0\r\n\r\n");
    };
    socket.write(head);
    pump();
    setTimeout(finish, 60_000).unref();
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

const signedSimilar = (clientAddress: string) =>
  fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productId, limit: "3" }), { headers: { "X-Forwarded-For": clientAddress } });

const photoForm = () => {
  const f = new FormData();
  f.append("image", new Blob([new Uint8Array(jpeg)], { type: "image/jpeg" }), "photo.jpg");
  return f;
};

// ---------------------------------------------------------------------------------------------
// Hostile heads

const host = () => `Host: 127.0.0.1:${app.port}\r\n`;
const req = (head: string, body = "") => Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body, "latin1")]);

/** Named cases: each must be answered with a 4xx status line. */
function namedCases(): [string, Buffer][] {
  const h = host();
  return [
    ["TRACE", req(`TRACE / HTTP/1.1\r\n${h}\r\n`)],
    ["CONNECT", req(`CONNECT 127.0.0.1:443 HTTP/1.1\r\n${h}\r\n`)],
    ["lowercase method", req(`get /nope HTTP/1.1\r\n${h}\r\n`)],
    ["garbage method token", req(`FO@O /nope HTTP/1.1\r\n${h}\r\n`)],
    ["unknown method", req(`PROPFIND /nope HTTP/1.1\r\n${h}\r\n`)],
    ["path //nope", req(`GET //nope HTTP/1.1\r\n${h}\r\n`)],
    ["path //x//y", req(`GET //x//y HTTP/1.1\r\n${h}\r\n`)],
    ["path with ..", req(`GET /proxy/x/../similar HTTP/1.1\r\n${h}\r\n`)],
    ["path %", req(`GET /nope% HTTP/1.1\r\n${h}\r\n`)],
    ["path %zz", req(`GET /nope/%zz HTTP/1.1\r\n${h}\r\n`)],
    ["raw non-ASCII path", req(`GET /nope/\xff\xfe\xe9 HTTP/1.1\r\n${h}\r\n`)],
    ["absolute-form target", req(`GET http://evil.example/x HTTP/1.1\r\n${h}\r\n`)],
    ["asterisk target", req(`OPTIONS * HTTP/1.1\r\n${h}\r\n`)],
    ["missing Host (HTTP/1.1)", req(`GET /nope HTTP/1.1\r\n\r\n`)],
    ["Host with a space", req(`GET /nope HTTP/1.1\r\nHost: bad host\r\n\r\n`)],
    ["Host [::1", req(`GET /nope HTTP/1.1\r\nHost: [::1\r\n\r\n`)],
    ["Host with a slash", req(`GET /nope HTTP/1.1\r\nHost: a/b\r\n\r\n`)],
    ["Host with @", req(`GET /nope HTTP/1.1\r\nHost: user@evil\r\n\r\n`)],
    ["overlong Host", req(`GET /nope HTTP/1.1\r\nHost: ${"a".repeat(5_000)}\r\n\r\n`)],
    ["Host with non-ASCII", req(`GET /nope HTTP/1.1\r\nHost: h\xe9\xff\r\n\r\n`)],
    ["X-Forwarded-Host garbage", req(`GET /nope HTTP/1.1\r\n${h}X-Forwarded-Host: [::1\r\n\r\n`)],
    ["X-Forwarded-Host with path", req(`GET //nope HTTP/1.1\r\n${h}X-Forwarded-Host: a b/c?d\r\n\r\n`)],
    ["overlong request line", req(`GET /nope/${"a".repeat(20_000)} HTTP/1.1\r\n${h}\r\n`)],
    ["request target over 8 KB", req(`GET /nope/${"a".repeat(9_000)} HTTP/1.1\r\n${h}\r\n`)],
    ["too many headers", req(`GET /nope HTTP/1.1\r\n${h}${Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`)],
    ["oversized header", req(`GET /nope HTTP/1.1\r\n${h}X-Big: ${"b".repeat(20_000)}\r\n\r\n`)],
    ["invalid chunk size", req(`POST /nope HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`)],
    ["chunk missing CRLF", req(`POST /nope HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`)],
    ["CL and TE both", req(`POST /nope HTTP/1.1\r\n${h}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`)],
    ["negative Content-Length", req(`POST /nope HTTP/1.1\r\n${h}Content-Length: -1\r\n\r\n`)],
    ["two Content-Lengths", req(`POST /nope HTTP/1.1\r\n${h}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`)],
    ["body over the default cap", req(`POST /nope HTTP/1.1\r\n${h}Content-Length: 100000\r\n\r\n`, "x".repeat(100_000))],
    ["TRACE on the fast path", req(`TRACE /proxy/similar HTTP/1.1\r\n${h}\r\n`)],
    ["Upgrade: websocket", req(`GET /nope HTTP/1.1\r\n${h}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)],
    ["GET /favicon.ico", req(`GET /favicon.ico HTTP/1.1\r\n${h}Connection: close\r\n\r\n`)],
    ["POST to a page without an action", req(`POST /nope HTTP/1.1\r\n${h}Content-Length: 2\r\nConnection: close\r\n\r\nab`)],
  ];
}

/** A seeded generator: every case has at least one defect, and its path never resolves to a real page. */
function generatedCases(seed: number, count: number): Buffer[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const methods = ["GET", "HEAD", "POST", "DELETE", "TRACE", "CONNECT", "get", "post", "G ET", "FOO", "M-SEARCH", "PROPFIND", "\x00GET", "GET\t", "ÄGET"];
  const pieces = ["//", "/%", "/%zz", "/%2e%2e", "/\xff", "/\xe9t\xe9", "/a b", "/..;", "?q=%zz", "?%", "/%00", "/x", "/\\", "/" + "z".repeat(300), "#frag", "/;x"];
  const hosts = [`127.0.0.1:${app.port}`, "", "bad host", "[::1", "a".repeat(400), "h\xe9", "h:99999999", "x@y", "a/b", "[zz]", "localhost:"];
  const xfhs = [undefined, "[", "a b", "////", "\xff\xfe", "evil.example/x", "localhost"];
  const bodies = [
    "",
    "Content-Length: -1\r\n\r\n",
    "Content-Length: abc\r\n\r\n",
    "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding: gzip, chunked, x\r\n\r\n0\r\n\r\n",
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const method = pick(methods);
    let target = "/nope-" + Math.floor(rnd() * 1e6);
    for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) target += pick(pieces);
    if (rnd() < 0.05) target = "/nope/" + "q".repeat(20_000);
    const hostHeader = pick(hosts);
    const xfh = pick(xfhs);
    let head = `${method} ${target} HTTP/1.1\r\n`;
    if (hostHeader || rnd() < 0.5) head += `Host: ${hostHeader}\r\n`;
    if (xfh !== undefined) head += `X-Forwarded-Host: ${xfh}\r\n`;
    if (rnd() < 0.05) head += Array.from({ length: 1_500 }, (_, k) => `X-F${k}: ${k}\r\n`).join("");
    head += "Connection: close\r\n";
    const body = pick(bodies);
    out.push(req(body ? head + body : head + "\r\n"));
  }
  return out;
}

async function inBatches<T>(items: T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

const STACK_LINE = /\n\s+at .+[:(]\d+:\d+\)?/;
/** A log's lines, each parsed (a line that is no JSON object is returned as its text, to fail the test). */
const logLines = (log: string) =>
  log
    .split("\n")
    .filter((l) => l.trim())
    .map((l): Record<string, unknown> | string => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return l;
      }
    });

describe("request ids", () => {
  it("echoes a safe X-Request-Id (else a new UUID) and puts it on the request's log line", async () => {
    const kept = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productId, limit: "3" }), { headers: { "X-Request-Id": "edge-7f3a.1_b" } });
    expect(kept.headers.get("x-request-id")).toBe("edge-7f3a.1_b");
    const replaced = await fetch(signedUrl(app.baseUrl, "similar", shop, { product_id: productId, limit: "3" }), { headers: { "X-Request-Id": "x".repeat(65) } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // A refused request (a 404 of an unknown page: one rate-limited line) is found in the log by its id.
    const logFrom = web.output().length;
    const missing = await fetch(`${app.baseUrl}/no-such-page`, { headers: { "X-Request-Id": "find-me-42" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).toBe("find-me-42");
    await new Promise((r) => setTimeout(r, 200));
    const lines = logLines(web.output().slice(logFrom));
    expect(lines).toContainEqual(expect.objectContaining({ reqId: "find-me-42", role: "web", level: 40, msg: expect.stringContaining("refused route-404") }));
  });
});

describe("hostile request heads", () => {
  it("answers every named case with a 4xx and keeps serving signed searches, without a stack trace in the log", async () => {
    const logFrom = web.output().length;
    const answers: [string, number | null][] = [];
    await inBatches(namedCases(), 4, async ([name, bytes]) => void answers.push([name, (await exchange(bytes)).status]));
    const wrong = answers.filter(([, status]) => status === null || status < 400 || status > 499);
    expect(wrong).toEqual([]);
    expect(web.child.exitCode).toBeNull();
    expect((await signedSimilar("198.51.100.1")).status).toBe(200);
    // `//` is a path (the index page's), not a host: answered, not a crash.
    const slashes = await exchange(req(`GET // HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`));
    expect(slashes.status).not.toBeNull();
    expect(slashes.status!).toBeLessThan(500);
    const log = web.output().slice(logFrom);
    console.log(`[test] ${answers.length} named cases → log:\n${log.trim()}`);
    expect(log).not.toMatch(STACK_LINE);
    // Only our own one-line notes, each a JSON line (Remix's router warned three lines per malformed path).
    expect(logLines(log).filter((l) => typeof l === "string" || typeof l.level !== "number" || l.role !== "web")).toEqual([]);
  }, 120_000);

  it("answers a few hundred seeded hostile requests with a 4xx each; the process never exits and a signed search still works after each batch", async () => {
    const logFrom = web.output().length;
    for (let batch = 0; batch < 6; batch++) {
      const cases = generatedCases(1_000 + batch, 50);
      const statuses: (number | null)[] = [];
      const wrong: string[] = [];
      await inBatches(cases, 6, async (bytes) => {
        const { status } = await exchange(bytes);
        statuses.push(status);
        if (status === null || status < 400 || status > 499) wrong.push(`${status} ← ${JSON.stringify(bytes.toString("latin1").slice(0, 160))}`);
      });
      expect(wrong).toEqual([]);
      expect(web.child.exitCode).toBeNull();
      expect((await signedSimilar(`198.51.100.${10 + batch}`)).status).toBe(200);
    }
    const log = web.output().slice(logFrom);
    expect(log).not.toMatch(STACK_LINE);
    // Rate-limited: a handful of lines per kind, not one per request.
    const lines = log.split("\n").filter((l) => l.trim());
    console.log(`[test] 300 hostile requests → ${lines.length} log lines:\n${lines.join("\n")}`);
    expect(logLines(log).filter((l) => typeof l === "string")).toEqual([]);
    expect(lines.length).toBeLessThan(60);
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------
// Bodies

const MB = 1024 * 1024;
const webhookHead = (framing: string) =>
  `POST /webhooks/products/update HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nContent-Type: application/json\r\n` +
  `X-Shopify-Topic: products/update\r\nX-Shopify-Shop-Domain: ${shop}\r\nX-Shopify-Hmac-Sha256: Ym9ndXM=\r\nX-Shopify-Webhook-Id: w1\r\n` +
  `X-Shopify-Api-Version: 2024-10\r\n${framing}\r\n`;
const proxyHead = (route: "visual-search" | "events", framing: string, contentType: string, clientAddress = "192.0.2.50") =>
  `POST ${pathOf(signedUrl(app.baseUrl, route, shop))} HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nContent-Type: ${contentType}\r\n` +
  `X-Forwarded-For: ${clientAddress}\r\n${framing}\r\n`;
const MULTIPART = "multipart/form-data; boundary=----x";

describe("request bodies are capped as they stream", () => {
  it("refuses a 256 MB bogus-HMAC webhook fast (declared or chunked) without the process's memory growing", async () => {
    const pid = web.child.pid!;
    const before = rssMb(pid);
    const declared = await streamBody(webhookHead(`Content-Length: ${256 * MB}\r\n`), 256 * MB, false);
    const chunked = await streamBody(webhookHead("Transfer-Encoding: chunked\r\n"), 256 * MB, true);
    const after = rssMb(pid);
    console.log(`[test] webhook 256 MB: declared → ${declared.status} in ${declared.ms} ms (${(declared.sent / MB).toFixed(1)} MB sent); chunked → ${chunked.status} in ${chunked.ms} ms (${(chunked.sent / MB).toFixed(1)} MB sent); RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`);
    expect([declared.status, chunked.status]).toEqual([413, 413]);
    expect(declared.ms).toBeLessThan(5_000);
    expect(chunked.ms).toBeLessThan(10_000);
    expect(after - before).toBeLessThan(50);
    expect(web.child.exitCode).toBeNull();
  }, 120_000);

  it("refuses chunked bodies over the cap on /proxy/visual-search and /proxy/events (signed)", async () => {
    const pid = web.child.pid!;
    const before = rssMb(pid);
    const photo = await streamBody(proxyHead("visual-search", "Transfer-Encoding: chunked\r\n", MULTIPART), 256 * MB, true);
    const events = await streamBody(proxyHead("events", "Transfer-Encoding: chunked\r\n", "application/json"), 256 * MB, true);
    const after = rssMb(pid);
    console.log(`[test] chunked 256 MB: visual-search → ${photo.status} in ${photo.ms} ms; events → ${events.status} in ${events.ms} ms; RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`);
    expect([photo.status, events.status]).toEqual([413, 413]);
    expect(photo.sent).toBeLessThan(64 * MB);
    expect(events.sent).toBeLessThan(16 * MB);
    expect(after - before).toBeLessThan(50);
  }, 120_000);

  it("keeps memory bounded under several oversized bodies at once", async () => {
    const pid = web.child.pid!;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => streamBody(webhookHead("Transfer-Encoding: chunked\r\n"), 256 * MB, true)),
      ...Array.from({ length: 4 }, (_, i) => streamBody(proxyHead("visual-search", "Transfer-Encoding: chunked\r\n", MULTIPART, `192.0.2.${60 + i}`), 256 * MB, true)),
    ]);
    clearInterval(sampler);
    console.log(`[test] 8 concurrent 256 MB chunked bodies: ${results.map((r) => r.status).join(",")}; RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MB; slowest ${Math.max(...results.map((r) => r.ms))} ms`);
    expect(results.every((r) => r.status === 413)).toBe(true);
    expect(peak - before).toBeLessThan(150);
    expect((await signedSimilar("198.51.100.40")).status).toBe(200);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Slow uploads

/** A signed photo upload that trickles 1 KB every 500 ms and never finishes on its own. */
function trickle(clientAddress: string): { answer: Promise<{ status: number | null; ms: number }>; stop: () => void } {
  const socket = net.connect(app.port, "127.0.0.1");
  const started = Date.now();
  let text = "";
  socket.on("error", () => {});
  socket.write(proxyHead("visual-search", "Transfer-Encoding: chunked\r\n", MULTIPART, clientAddress));
  const timer = setInterval(() => socket.write(`400\r\n${"t".repeat(1024)}\r\n`), 500);
  const answer = new Promise<{ status: number | null; ms: number }>((resolve) => {
    const done = () => {
      clearInterval(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, ms: Date.now() - started });
      socket.destroy();
    };
    socket.on("data", (d) => {
      text += d.toString("latin1");
      if (text.includes("\r\n\r\n")) done();
    });
    socket.on("close", done);
  });
  return { answer, stop: () => (clearInterval(timer), socket.destroy()) };
}

describe("slow photo uploads", () => {
  it("are cut off with 408 by the upload deadline, and hold no photo-search slot meanwhile", async () => {
    const slow = Array.from({ length: SLOTS * 2 }, (_, i) => trickle(`192.0.2.${100 + i}`));
    try {
      await new Promise((r) => setTimeout(r, 700));
      const started = Date.now();
      const real = await fetch(signedUrl(app.baseUrl, "visual-search", shop, { limit: "3" }), { method: "POST", body: photoForm(), headers: { "X-Forwarded-For": "192.0.2.200" } });
      const body = (await real.json()) as { products?: unknown[] };
      console.log(`[test] real photo search with ${slow.length} trickling uploads open: ${real.status} in ${Date.now() - started} ms`);
      expect(real.status).toBe(200);
      expect(Array.isArray(body.products)).toBe(true);
      const answers = await Promise.race([Promise.all(slow.map((s) => s.answer)), new Promise<null>((r) => setTimeout(() => r(null), DEADLINE_MS + 5_000))]);
      expect(answers).not.toBeNull();
      console.log(`[test] trickling uploads: ${answers!.map((a) => `${a.status} after ${a.ms} ms`).join(", ")}`);
      expect(answers!.every((a) => a.status === 408 && a.ms < DEADLINE_MS + 2_000)).toBe(true);
    } finally {
      slow.forEach((s) => s.stop());
    }
  }, 60_000);

  it("bounds concurrent photo uploads per client address", async () => {
    const same = Array.from({ length: 3 }, () => trickle("192.0.2.150"));
    try {
      const third = await Promise.race([same[2].answer, new Promise<null>((r) => setTimeout(() => r(null), 2_000))]);
      expect(third?.status).toBe(429);
    } finally {
      same.forEach((s) => s.stop());
    }
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// Client address

describe("per-client rate limits key on the address the trusted proxy saw", () => {
  const hammer = async (headers: (i: number) => Record<string, string>) => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(signedUrl(app.baseUrl, "events", shop), {
        method: "POST",
        body: JSON.stringify({ type: "click", productId }),
        headers: { "Content-Type": "text/plain;charset=UTF-8", ...headers(i) },
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    return statuses;
  };

  it("limits a client that sends no X-Forwarded-For (the socket's peer)", async () => {
    expect(await hammer(() => ({}))).toContain(429);
  }, 30_000);

  it("limits a client that rotates the first X-Forwarded-For entry", async () => {
    expect(await hammer((i) => ({ "X-Forwarded-For": `10.9.${i}.1, 203.0.113.77` }))).toContain(429);
  }, 30_000);

  it("does not mix two shoppers the proxy forwarded", async () => {
    const a = await hammer((i) => ({ "X-Forwarded-For": `203.0.113.${100 + i}` }));
    expect(a).not.toContain(429);
  }, 30_000);
});
