import { moduleLogger } from "../logging/logger.server";

const log = moduleLogger("http");

export type RefusalWrite = (line: string, fields?: Record<string, unknown>) => void;

/**
 * One short line for what the web process refused (a malformed request, a body over its cap, a
 * 404 of an unauthenticated client…), never a stack trace, and at most one line per kind per
 * interval (default 10 s): the next line of that kind says how many were left out in between.
 * Hostile or broken clients cannot flood the log.
 */
export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly write: RefusalWrite = (line, fields) => log.warn(fields ?? {}, line),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `kind`: a short stable name ("bad-host", "body-too-large"…); `detail`: one short clause;
   * `fields`: the request's (reqId), written with the line when it is not left out.
   */
  note(kind: string, detail: string, fields?: Record<string, unknown>): void {
    const t = this.now();
    const seen = this.last.get(kind);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const more = seen?.suppressed ? ` (${seen.suppressed} more of this kind in the last ${Math.round((t - seen.at) / 1000)} s)` : "";
    this.last.set(kind, { at: t, suppressed: 0 });
    this.write(`refused ${kind}: ${oneLine(detail)}${more}`, fields);
  }
}

/** At most 200 printable characters: client-controlled text never spans lines or floods. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
