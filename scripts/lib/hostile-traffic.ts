/**
 * What an attacker sends a Lookalike web process, for the hostile-mix run (scripts/hostile-mix.ts):
 * each attack is a loop until the deadline, over raw sockets where the framing matters, counting
 * the answers it gets. Run in a process of its own (scripts/hostile-attackers.ts), so the normal
 * load's latencies are not measured on the attacker's event loop.
 *
 * - oversized bodies: 256 MB declared or chunked, to the webhook route (bogus HMAC) and to the
 *   signed photo and event routes, written as fast as the socket takes them until the server answers;
 * - slow uploads: photo uploads trickling 1 KB every 2 s, all at once (by default 16, the photo slots);
 * - an event flood: 50 invented product ids per event, half without X-Forwarded-For, half with a
 *   rotating first hop;
 * - cache-key spraying: signed similar requests with random excludes, filters and limits, half of
 *   them valid (real searches), from one client rotating its own X-Forwarded-For entry.
 */
import net from "node:net";
import { signAppProxyQuery } from "../../app/demo/app-proxy-signature";

export interface AttackOptions {
  host: string;
  port: number;
  shop: string;
  secret: string;
  seconds: number;
  /** A real product id of the shop (sprayed requests ask for it, so each is a real search). */
  productIds: string[];
  slowUploads?: number;
  eventsPerSecond?: number;
  sprayPerSecond?: number;
}

export interface AttackReport {
  /** Answers per attack and status ("none": the connection closed without an answer). */
  statuses: Record<string, Record<string, number>>;
  /** Bytes the oversized-body attacks got the server to accept before it answered. */
  oversizedBytesSent: number[];
  /** How long each slow upload was held open by the server (ms). */
  slowHeldMs: number[];
  /** CPU seconds the attacker process used (it shares the machine with the server). */
  cpuSeconds?: number;
}

const MB = 1024 * 1024;
/**
 * Each connection-holding attacker (oversized bodies, slow uploads) starts its next request this long
 * after an answer: 16 slow uploaders refused at once would otherwise loop at thousands of requests
 * a second, a plain request flood that burns the cores this run shares with the server (a flood is
 * the load balancer's and the rate limits' business, not what this run measures).
 */
const RETRY_PAUSE_MS = 250;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `head`, then (when given) body chunks as fast as the socket drains until `bodyBytes` are
 * written or the server answers; resolves with the status line's code and the bytes written.
 */
function rawRequest(
  host: string,
  port: number,
  head: string,
  body?: { bytes: number; chunked: boolean; chunk?: number; everyMs?: number },
  timeoutMs = 120_000,
): Promise<{ status: string; sent: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect(port, host);
    let sent = 0;
    let answer = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolve({ status: m ? m[1] : "none", sent, ms: performance.now() - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("data", (d) => {
      answer += d.toString("latin1");
      if (/\r\n\r\n/.test(answer)) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => {
      socket.write(head);
      if (!body) return;
      const size = body.chunk ?? 64 * 1024;
      const payload = Buffer.alloc(size, 0x61);
      const framed = body.chunked ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), payload, Buffer.from("\r\n")]) : payload;
      const pump = () => {
        while (!done && sent < body.bytes) {
          sent += size;
          if (body.everyMs) {
            socket.write(framed);
            if (sent < body.bytes) setTimeout(pump, body.everyMs);
            return;
          }
          if (!socket.write(framed)) return void socket.once("drain", pump);
        }
        if (!done && body.chunked) socket.write("0\r\n\r\n");
      };
      pump();
    });
  });
}

function count(report: AttackReport, attack: string, status: string): void {
  const s = (report.statuses[attack] ??= {});
  s[status] = (s[status] ?? 0) + 1;
}

/** Requests on a fixed schedule (open loop), at most `maxInFlight` at once. */
async function openLoop(perSecond: number, until: number, maxInFlight: number, one: () => Promise<void>): Promise<void> {
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due >= until) break;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= maxInFlight) continue;
    const p: Promise<void> = one()
      .catch(() => {})
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

export async function runAttacks(opts: AttackOptions): Promise<AttackReport> {
  const { host, port, shop, secret } = opts;
  const until = Date.now() + opts.seconds * 1000;
  const report: AttackReport = { statuses: {}, oversizedBytesSent: [], slowHeldMs: [] };
  const signed = (params: Record<string, string> = {}) => signAppProxyQuery(new URLSearchParams(params), { shop, secret }).toString();
  const hostHeader = `Host: ${host}:${port}\r\n`;
  const rand = (k: number) => Math.floor(Math.random() * k);

  const oversized = async (name: string, head: (chunked: boolean) => string) => {
    for (let i = 0; Date.now() < until; i++) {
      const chunked = i % 2 === 0;
      const r = await rawRequest(host, port, head(chunked), { bytes: 256 * MB, chunked }, Math.max(1_000, until - Date.now()));
      count(report, name, r.status);
      report.oversizedBytesSent.push(r.sent);
      await pause(RETRY_PAUSE_MS);
    }
  };
  const framing = (chunked: boolean) => (chunked ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${256 * MB}\r\n`);
  const webhook = (chunked: boolean) =>
    `POST /webhooks/products/update HTTP/1.1\r\n${hostHeader}Content-Type: application/json\r\nX-Shopify-Topic: products/update\r\nX-Shopify-Hmac-Sha256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nX-Shopify-Shop-Domain: ${shop}\r\nX-Shopify-Webhook-Id: ${crypto.randomUUID()}\r\nX-Shopify-API-Version: 2026-01\r\n${framing(chunked)}\r\n`;
  const photo = (chunked: boolean) =>
    `POST /proxy/visual-search?${signed()} HTTP/1.1\r\n${hostHeader}Content-Type: multipart/form-data; boundary=xyz\r\n${framing(chunked)}\r\n--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\n`;
  const event = (chunked: boolean) => `POST /proxy/events?${signed()} HTTP/1.1\r\n${hostHeader}Content-Type: text/plain\r\n${framing(chunked)}\r\n{"type":"impression","productIds":[`;

  const slow = async () => {
    while (Date.now() < until) {
      const boundary = "slowslow";
      const head = `POST /proxy/visual-search?${signed()} HTTP/1.1\r\n${hostHeader}Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${MB}\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
      const r = await rawRequest(host, port, head, { bytes: MB, chunked: false, chunk: 1024, everyMs: 2_000 }, Math.max(1_000, until - Date.now()));
      count(report, "slow upload", r.status);
      if (r.status !== "none") report.slowHeldMs.push(r.ms);
      await pause(RETRY_PAUSE_MS);
    }
  };

  const flood = () =>
    openLoop(opts.eventsPerSecond ?? 50, until, 64, async () => {
      const ids = Array.from({ length: 50 }, () => String(9_000_000_000 + rand(1e9)));
      const headers: Record<string, string> = { "Content-Type": "text/plain" };
      if (Math.random() < 0.5) headers["X-Forwarded-For"] = `${rand(256)}.${rand(256)}.${rand(256)}.${rand(256)}, 198.51.100.7`;
      const res = await fetch(`http://${host}:${port}/proxy/events?${signed()}`, { method: "POST", headers, body: JSON.stringify({ type: "impression", productIds: ids }) });
      await res.arrayBuffer();
      count(report, "event flood", String(res.status));
    });

  const spray = () =>
    openLoop(opts.sprayPerSecond ?? 50, until, 64, async () => {
      const junk = () => Array.from({ length: 40 }, () => Math.random().toString(36).slice(2)).join("");
      // Half with junk in `exclude` (refused), half valid and each distinct — numeric excludes, a
      // random limit and price: real searches and cache writes — from one client that rotates the
      // first X-Forwarded-For entry (the one it writes itself) behind the hop the trusted proxy adds.
      const valid = Math.random() < 0.5;
      const params: Record<string, string> = {
        product_id: opts.productIds[rand(opts.productIds.length)],
        limit: String(1 + rand(50)),
        exclude: Array.from({ length: 20 }, () => (valid || Math.random() < 0.5 ? String(1 + rand(1e12)) : junk())).join(","),
        min_price: String(rand(100)),
      };
      const headers: Record<string, string> = valid ? { "X-Forwarded-For": `${rand(256)}.${rand(256)}.${rand(256)}.${rand(256)}, 198.51.100.9` } : {};
      const res = await fetch(`http://${host}:${port}/proxy/similar?${signed(params)}`, { headers });
      await res.arrayBuffer();
      count(report, valid ? "cache spray (valid)" : "cache spray (junk)", String(res.status));
    });

  await Promise.all([
    oversized("oversized webhook", webhook),
    oversized("oversized webhook", webhook),
    oversized("oversized photo", photo),
    oversized("oversized event", event),
    ...Array.from({ length: opts.slowUploads ?? 16 }, slow),
    flood(),
    spray(),
  ]);
  const cpu = process.cpuUsage();
  report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return report;
}
