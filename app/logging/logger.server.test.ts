import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, formatOf, levelOf, requestIdOf, roleOf, withLogContext, type LogFormat } from "./logger.server";

function capture(format: LogFormat) {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { text: () => text, log: createLogger({ role: "worker", format, level: "info", destination }) };
}

describe("logger", () => {
  it("writes JSON lines with level, time, role and pid; secrets redacted, bytes as their length", () => {
    const { text, log } = capture("json");
    withLogContext({ jobId: "7", queue: "embed", shop: "a.myshopify.com" }, () =>
      log.child({ module: "t" }).warn({ token: "shpat_secret1", headers: { authorization: "Bearer s3cret", cookie: "c=s3cret" }, photo: Buffer.from("JPEGDATA"), extra: { bytes: new Uint8Array(4), password: "hunter2" } }, "hello"),
    );
    const lines = text().trim().split("\n");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, role: "worker", pid: process.pid, module: "t", jobId: "7", queue: "embed", shop: "a.myshopify.com", msg: "hello", photo: "[8 bytes]", extra: { bytes: "[4 bytes]" } });
    expect(typeof line.time).toBe("number");
    expect(text()).not.toMatch(/shpat_secret1|s3cret|hunter2|JPEGDATA|SlBFR0RBVEE/);
  });

  it("redacts secret keys and bytes three levels down, and in arrays", () => {
    const { text, log } = capture("json");
    log.child({ reqId: "r" }).error({ session: { accessToken: "shpat_bound" },  req: { headers: { Authorization: "Bearer deep", "X-Shopify-Hmac-Sha256": "hm4c" } }, parts: [Buffer.alloc(3), { secret: "arr" }] }, "x");
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line).toMatchObject({ session: { accessToken: "[redacted]" }, req: { headers: { Authorization: "[redacted]", "X-Shopify-Hmac-Sha256": "[redacted]" } }, parts: ["[3 bytes]", { secret: "[redacted]" }] });
    expect(text()).not.toMatch(/shpat_bound|deep|hm4c|"arr"/);
  });

  it("pretty: one readable line per message, the [lookalike] prefix of old", () => {
    const { text, log } = capture("pretty");
    log.info({ reqId: "r1" }, "web listening on http://localhost:3000");
    const lines = text().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO.*\[lookalike\] web listening on http:\/\/localhost:3000 .*"reqId":"r1"/);
    expect(lines[0]).not.toMatch(/"role"|"pid"/);
  });

  it("takes the role, format and level from the environment", () => {
    expect(roleOf({}, ["node", "/srv/app/server.ts"])).toBe("web");
    expect(roleOf({}, ["node", "/srv/app/jobs/worker.ts"])).toBe("worker");
    expect(roleOf({}, ["node", "/srv/app/scripts/setup.ts"])).toBe("cli");
    expect(roleOf({ LOOKALIKE_ROLE: "worker" }, ["node", "server.ts"])).toBe("worker");
    expect(formatOf("web", {}, false)).toBe("json");
    expect(formatOf("web", { NODE_ENV: "development" }, true)).toBe("pretty");
    expect(formatOf("web", { NODE_ENV: "production" }, true)).toBe("json");
    expect(formatOf("cli", {}, false)).toBe("pretty");
    expect(formatOf("cli", { LOG_FORMAT: "json" }, true)).toBe("json");
    expect(levelOf({})).toBe("info");
    expect(levelOf({ LOG_LEVEL: "WARN" })).toBe("warn");
    expect(levelOf({ LOG_LEVEL: "loud" })).toBe("info");
  });

  it("keeps a safe X-Request-Id and replaces anything else", () => {
    const make = () => "generated";
    expect(requestIdOf("abc-123_x.Y", make)).toBe("abc-123_x.Y");
    expect(requestIdOf("a".repeat(64), make)).toBe("a".repeat(64));
    for (const bad of ["a".repeat(65), "", "a b", "a\nb", "x;y", "ü"]) expect(requestIdOf(bad, make)).toBe("generated");
    expect(requestIdOf(undefined, make)).toBe("generated");
    expect(requestIdOf(["a", "b"], make)).toBe("generated");
  });
});
