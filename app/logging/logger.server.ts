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
 * What never reaches the log: the values of secret-looking keys (`[redacted]`), and bytes — a
 * Buffer or typed array in a line's fields is written as `[n bytes]` (both up to three levels
 * deep, in one walk of the line's fields: `scrubbed`). Not pino's `redact` option: with it every
 * child logger costs ~5× more to make (fast-redact), and the web makes one per request (0011).
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

/** Keys whose values are secrets wherever they appear (compared lower-case). */
const SECRET_KEYS = new Set(["token", "accesstoken", "access_token", "authorization", "password", "secret", "hmac", "cookie", "set-cookie", "signature", "x-shopify-hmac-sha256", "x-shopify-access-token"]);

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
const MAX_DEPTH = 3;

/**
 * A line's fields with every secret-keyed value replaced by `[redacted]` and every Buffer / typed
 * array by `[n bytes]`, up to three levels deep; objects are copied only where something changed.
 */
export function scrubbed(obj: Record<string, unknown>, depth = 1): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    let next: unknown = v;
    if (SECRET_KEYS.has(key.toLowerCase())) next = "[redacted]";
    else if (isBytes(v)) next = `[${v.byteLength} bytes]`;
    else if (depth < MAX_DEPTH && v && typeof v === "object" && !(v instanceof Error)) {
      next = Array.isArray(v) ? scrubbedArray(v, depth + 1) : scrubbed(v as Record<string, unknown>, depth + 1);
    }
    if (next !== v) (out ??= { ...obj })[key] = next;
  }
  return out ?? obj;
}

function scrubbedArray(arr: unknown[], depth: number): unknown[] {
  let out: unknown[] | undefined;
  arr.forEach((v, i) => {
    const next = isBytes(v) ? `[${v.byteLength} bytes]` : depth < MAX_DEPTH && v && typeof v === "object" && !(v instanceof Error) && !Array.isArray(v) ? scrubbed(v as Record<string, unknown>, depth + 1) : v;
    if (next !== v) (out ??= [...arr])[i] = next;
  });
  return out ?? arr;
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
    serializers: { err: pino.stdSerializers.err },
    // A line's own fields; a child's bindings are ids (module, reqId, shop, jobId), never scrubbed.
    formatters: { log: (o) => scrubbed(o) },
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
