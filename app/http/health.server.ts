/**
 * Liveness and readiness of a web process, for load balancers and orchestrators (HAProxy's
 * `option httpchk`, Kubernetes probes):
 * - `GET /healthz`: the process answers its port — 200 as long as it runs, also while it drains
 *   (a liveness probe must never kill a process that is finishing its requests);
 * - `GET /readyz`: it can serve — not draining, and each of its services (the database, Redis)
 *   answers within `READY_TIMEOUT_MS` (default 1 s); else 503 naming the check that failed.
 * Both live at the root path: the app proxy forwards only `/proxy/*`, so the storefront never
 * reaches them, and they reveal nothing beyond a check's name and its state.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type CheckState = "ok" | "failed" | "timeout";
export type Probe = () => Promise<unknown>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckState>;
}

export function readyTimeoutMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.READY_TIMEOUT_MS ?? 1_000);
  return Number.isFinite(v) && v > 0 ? v : 1_000;
}

/** Runs every probe at once, each bounded by `timeoutMs`; ready when all answered. */
export async function checkReadiness(probes: Record<string, Probe>, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(probes);
  const states = await Promise.all(names.map((name) => runProbe(probes[name], timeoutMs)));
  const checks: Record<string, CheckState> = {};
  names.forEach((name, i) => (checks[name] = states[i]));
  return { ready: states.every((s) => s === "ok"), checks };
}

async function runProbe(probe: Probe, timeoutMs: number): Promise<CheckState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckState>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      probe().then(
        () => "ok" as const,
        () => "failed" as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const HEALTH_PATHS = new Set(["/healthz", "/readyz"]);

/**
 * Answers /healthz or /readyz (GET or HEAD; other methods 405). `readiness` is asked only for
 * /readyz and only when the process is not draining.
 */
export async function answerHealth(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  state: { draining: boolean; readiness: () => Promise<Readiness> },
): Promise<void> {
  const send = (status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text) });
    res.end(req.method === "HEAD" ? undefined : text);
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Length": 0 });
    res.end();
    return;
  }
  if (pathname === "/healthz") return send(200, { status: "ok" });
  if (state.draining) return send(503, { status: "draining" });
  const r = await state.readiness();
  send(r.ready ? 200 : 503, { status: r.ready ? "ready" : "not_ready", checks: r.checks });
}
