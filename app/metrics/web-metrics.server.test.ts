import http from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { webMetrics } from "./web-metrics.server";

let stop: (() => void) | undefined;
afterEach(() => stop?.());

/** A real node:http server observed by webMetrics, answering with the status in the path ("/…/404"). */
async function observedServer(registry: Registry, enabled = true) {
  const metrics = webMetrics(registry, { enabled, isStatic: (p) => p === "/favicon.ico" });
  const server = http.createServer((req, res) => {
    metrics.request(req, res);
    const status = Number(/\/(\d{3})$/.exec(req.url!.split("?")[0])?.[1] ?? 200);
    if (req.url!.includes("hang")) return void setTimeout(() => res.destroy(), 50);
    res.writeHead(status).end("x");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stop = () => server.close();
  return { metrics, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const count = async (registry: Registry, labels: string) => {
  const text = await registry.getSingleMetricAsString("lookalike_http_request_duration_seconds");
  return Number(new RegExp(`^lookalike_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
};

describe("web request metrics", () => {
  it("counts requests by fixed route and status class", async () => {
    const registry = new Registry();
    const { base } = await observedServer(registry);
    await fetch(`${base}/proxy/similar?product_id=1&shop=a.myshopify.com`).then((r) => r.text());
    await fetch(`${base}/proxy/similar?product_id=2`).then((r) => r.text());
    await fetch(`${base}/proxy/visual-search/503`).then((r) => r.text());
    await fetch(`${base}/favicon.ico`).then((r) => r.text());
    await fetch(`${base}/some/odd/path/404`).then((r) => r.text());
    await fetch(`${base}/proxy/similar/hang`).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    expect(await count(registry, 'route="similar",status_class="2xx"')).toBe(2);
    expect(await count(registry, 'route="photo",status_class="5xx"')).toBe(1);
    expect(await count(registry, 'route="static",status_class="2xx"')).toBe(1);
    expect(await count(registry, 'route="other",status_class="4xx"')).toBe(1);
    expect(await count(registry, 'route="similar",status_class="aborted"')).toBe(1);
    const text = await registry.metrics();
    expect(text).not.toMatch(/odd|product_id|myshopify/);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m); // the default metrics come with it
  });

  it("counts refusals by kind, an unknown kind as other, and still logs them", async () => {
    const registry = new Registry();
    const { metrics } = await observedServer(registry);
    const lines: string[] = [];
    const log = metrics.counting({ note: (kind: string, detail: string) => void lines.push(`${kind} ${detail}`) });
    log.note("body-too-large", "413 photo");
    log.note("body-too-large", "413 photo");
    log.note(`made-up-${"x".repeat(10)}`, "?");
    const text = await registry.getSingleMetricAsString("lookalike_http_refusals_total");
    expect(text).toMatch(/^lookalike_http_refusals_total\{kind="body-too-large"\} 2$/m);
    expect(text).toMatch(/^lookalike_http_refusals_total\{kind="other"\} 1$/m);
    expect(text).toMatch(/^lookalike_http_refusals_total\{kind="uploads-per-client"\} 0$/m);
    expect(text).not.toContain("made-up");
    expect(lines).toHaveLength(3);
  });

  it("METRICS=0: registers and observes nothing", async () => {
    const registry = new Registry();
    const { base } = await observedServer(registry, false);
    await fetch(`${base}/proxy/similar`).then((r) => r.text());
    expect((await registry.metrics()).trim()).toBe("");
  });
});
