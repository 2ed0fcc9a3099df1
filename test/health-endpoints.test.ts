/**
 * /healthz and /readyz on the production entry (server.ts) as a load balancer sees them: a real
 * web process on its own Redis, which the test kills and restarts, and a SIGTERM drain seen on a
 * kept-alive connection.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appEnv, startWeb, type AppEnv, type RunningProcess } from "../scripts/lib/app-processes";
import { createTestDatabase, type TestDatabase } from "./support/databases";
import { PrivateRedis } from "./support/private-redis";

interface Answer {
  status: number;
  body: { status?: string; checks?: Record<string, string> };
  ms: number;
}

function get(agent: http.Agent, port: number, path: string, method = "GET"): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, ms: Date.now() - started }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("health endpoints of the web process", () => {
  let database: TestDatabase;
  let app: AppEnv;
  let web: RunningProcess;
  const redis = new PrivateRedis();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase("sqlite");
    app = await appEnv(database.url, { REDIS_URL: redis.url, READY_TIMEOUT_MS: "500", SHUTDOWN_IDLE_MS: "5000" });
    web = await startWeb(app);
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await web?.stop();
    await redis.stop();
    await app?.cleanup().catch(() => {});
    await database?.drop();
  });

  it("says live and ready when the database and Redis answer; other methods get 405", async () => {
    expect(await get(agent, app.port, "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    const ready = await get(agent, app.port, "/readyz");
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", checks: { database: "ok", redis: "ok" } } });
    expect((await get(agent, app.port, "/readyz", "POST")).status).toBe(405);
    expect((await get(agent, app.port, "/readyz", "HEAD")).status).toBe(200);
  });

  it("turns not ready within its timeout when Redis dies, stays live, and ready again once Redis is back", async () => {
    await redis.stop();
    const down = await get(agent, app.port, "/readyz");
    console.log(`[test] Redis killed: /readyz ${down.status} ${JSON.stringify(down.body)} in ${down.ms} ms`);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe("not_ready");
    expect(down.body.checks?.database).toBe("ok");
    expect(down.body.checks?.redis).not.toBe("ok");
    expect(down.ms).toBeLessThan(3_000);
    expect((await get(agent, app.port, "/healthz")).status).toBe(200);

    await redis.start(); // same port
    const back = await until("ready after Redis restart", () => get(agent, app.port, "/readyz"), (a) => a.status === 200);
    expect(back.body.checks).toEqual({ database: "ok", redis: "ok" });
    expect(web.child.exitCode).toBeNull();
  }, 60_000);

  it("answers 503 draining on a kept-alive connection once SIGTERM arrived, then exits cleanly", async () => {
    expect((await get(agent, app.port, "/readyz")).status).toBe(200); // the agent now holds one idle connection
    web.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const draining = await get(agent, app.port, "/readyz");
    expect(draining).toMatchObject({ status: 503, body: { status: "draining" } });
    // …on the same connection: a new one is refused, the listener is closed.
    if (web.child.exitCode === null) await new Promise((r) => web.child.once("exit", r));
    expect(web.child.exitCode).toBe(0);
  }, 30_000);
});
