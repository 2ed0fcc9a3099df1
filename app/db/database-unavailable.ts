/**
 * Tells "the database could not be reached" apart from every other error. Work that failed only
 * because the database was away (an outage, a restart, a full pool) is not the product's fault:
 * it must stay pending and be done again once the database is back, never be recorded as failed.
 */

/** Prisma errors that mean the server could not be reached or dropped the connection. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
/** Driver adapter error kinds (`meta.driverAdapterError.cause.kind`) of the same meaning. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);
/** Node socket errors and PostgreSQL SQLSTATEs of a connection that is gone or refused. */
const CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "57P01", "57P02", "57P03", "53300", "SQLITE_BUSY"]);
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection|database is locked/i;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 4) return false;
  const e = err as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } } };
  if (typeof e.code === "string" && (PRISMA_CODES.has(e.code) || CODES.has(e.code) || e.code.startsWith("08"))) return true;
  if (typeof e.kind === "string" && ADAPTER_KINDS.has(e.kind)) return true;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter && (ADAPTER_KINDS.has(String(adapter.kind)) || (typeof adapter.code === "string" && (CODES.has(adapter.code) || adapter.code.startsWith("08"))))) return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
