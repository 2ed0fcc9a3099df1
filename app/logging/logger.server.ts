/**
 * The process' log (issue 22): pino, one JSON object a line in production, pino-pretty's one-line
 * messages in development. Every module logs through `moduleLogger("name")` (a child of the one
 * root logger of its module graph); a web request's handlers get a child with `reqId` (and `shop`)
 * from server.ts; a worker job's lines carry `jobId`, `queue` and `shop` through `withLogContext`.
 *
 * Environment:
 * - LOG_FORMAT: `json` or `pretty`. Default: `pretty` for the CLIs, and for web/worker when stdout
 *   is a terminal and NODE_ENV is not production; else `json`.
 * - LOG_LEVEL: trace | debug | info | warn | error | fatal | silent (default info).
 * - LOOKALIKE_ROLE: web | worker | cli. Default: from the entry the process was started with
 *   (server.ts or `remix vite:dev` → web, jobs/worker.ts → worker, anything else → cli), read once
 *   when this module loads — so no entry has to set it before its imports run (decision 0011).
 *
 * What never reaches the log: the values of secret-looking keys (`redact`), and bytes — a Buffer
 * or typed array anywhere in a line's fields (two levels deep) is written as `[n bytes]`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import pino, { type Logger, type LoggerOptions } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";
export type LogRole = "web" | "worker" | "cli";
export type LogFormat = "json" | "pretty";
type Env = Record<string, string | undefined>;

const ROLES: readonly LogRole[] = ["web", "worker", "cli"];
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Keys whose values are secrets wherever they appear (top level and one level down). */
const SECRET_KEYS = ["token", "accessToken", "access_token", "authorization", "password", "secret", "hmac", "cookie", "signature"];
export const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), "*.headers.authorization", "*.headers.cookie", "*.headers[\"x-shopify-hmac-sha256\"]"];

export function roleOf(env: Env = process.env, argv: readonly string[] = process.argv): LogRole {
  const set = env.LOOKALIKE_ROLE as LogRole | undefined;
  if (set && ROLES.includes(set)) return set;
  const script = path.basename(argv[1] ?? "");
  if (/^server\.[cm]?[jt]s$/.test(script) || argv.includes("vite:dev")) return "web";
  if (/^worker\.[cm]?[jt]s$/.test(script)) return "worker";
  return "cli";
}

export function formatOf(role: LogRole, env: Env = process.env, isTTY = Boolean(process.stdout.isTTY)): LogFormat {
  if (env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty") return env.LOG_FORMAT;
  if (role === "cli") return "pretty";
  return isTTY && env.NODE_ENV !== "production" ? "pretty" : "json";
}

export function levelOf(env: Env = process.env): string {
  const level = env.LOG_LEVEL?.toLowerCase();
  return level && LEVELS.includes(level) ? level : "info";
}

const isBytes = (v: unknown): v is ArrayBufferView | ArrayBuffer => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
const bytesNote = (v: ArrayBufferView | ArrayBuffer) => `[${v.byteLength} bytes]`;

/** A line's fields with every Buffer / typed array (two levels deep) replaced by `[n bytes]`. */
export function withoutBytes(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    let next: unknown = v;
    if (isBytes(v)) next = bytesNote(v);
    else if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Error)) {
      for (const k in v as Record<string, unknown>) {
        if (isBytes((v as Record<string, unknown>)[k])) {
          next = Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, isBytes(vv) ? bytesNote(vv) : vv]));
          break;
        }
      }
    }
    if (next !== v) (out ??= { ...obj })[key] = next;
  }
  return out ?? obj;
}

/** Fields every line logged inside `withLogContext` carries (a worker job's jobId, queue, shop). */
const context = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` with `fields` added to every line logged inside it (through any module's logger). */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

export interface LoggerSettings {
  role: LogRole;
  format: LogFormat;
  level: string;
  /** Where lines go (tests); default stdout for web/worker, stderr for the CLIs (their stdout is data). */
  destination?: NodeJS.WritableStream | number;
}

export function loggerSettingsFromEnv(env: Env = process.env): LoggerSettings {
  const role = roleOf(env);
  return { role, format: formatOf(role, env), level: levelOf(env) };
}

/** A root logger. Processes use the one this module makes from the environment (`moduleLogger`); tests make their own. */
export function createLogger(s: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: s.level,
    base: { role: s.role, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
    formatters: { log: withoutBytes },
    mixin: () => context.getStore() ?? {},
  };
  const fd = s.destination ?? (s.role === "cli" ? 2 : 1);
  if (s.format === "json") return pino(options, typeof fd === "number" ? pino.destination({ fd, sync: true }) : fd);
  // pino-pretty as a stream in this process (no transport worker thread): decision 0011.
  const stream = pretty({
    destination: fd,
    sync: true,
    colorize: typeof fd === "number" && Boolean((fd === 2 ? process.stderr : process.stdout).isTTY),
    ignore: "pid,hostname,role,module",
    translateTime: "SYS:HH:MM:ss.l",
    singleLine: true,
    messageFormat: "[lookalike] {msg}",
  });
  return pino(options, stream);
}

let root: Logger | undefined;
/** This process' root logger, made from the environment on first use. */
export function rootLogger(): Logger {
  return (root ??= createLogger(loggerSettingsFromEnv()));
}

/** A module's logger: `const log = moduleLogger("live-index")` at module level. */
export function moduleLogger(module: string): Logger {
  return rootLogger().child({ module });
}

/** The ids a client may send as X-Request-Id: ≤ 64 characters of [A-Za-z0-9._-]. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
export function requestIdOf(header: string | string[] | undefined, make: () => string): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : make();
}
