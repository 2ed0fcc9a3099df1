/**
 * Admission control for work a web process cannot queue for long: at most `limit` photo searches
 * run at once (decode, preparation and the model's batches); one more is answered at once with
 * 503 and `Retry-After` instead of waiting behind the others. Without it an overloaded process
 * kept every upload in memory and answered them tens of seconds later (a soak whose machine was
 * short of a core: photo p50 30 s, p99 44 s), long after the shopper's page had given up, while
 * the backlog also slowed every other storefront request.
 *
 * The limit is per process (`PHOTO_SEARCH_MAX_IN_FLIGHT`, default 16: 0.3–1.2 s of the model's work
 * on 2 cores, at 20–72 ms a query depending on the CPU's int8 speed); rate limits per shop and per
 * client IP (rate-limits.server.ts) come first.
 */
import { ProxyError } from "./proxy-errors.server";

export class Admission {
  private inFlight = 0;
  /** Searches refused with 503 busy since the process started (read by the metrics). */
  refused = 0;

  constructor(readonly limit: number) {}

  get running(): number {
    return this.inFlight;
  }

  /**
   * Runs `work` if fewer than `limit` are running, else throws a 503 ProxyError with Retry-After.
   * The upload is read before (bounded in bytes and time, proxy-handlers.server.ts): a slot is
   * never held while a client trickles its photo in.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limit) {
      this.refused++;
      throw new ProxyError(503, "busy", "Photo search is busy right now; try again in a moment.", { "Retry-After": "1" });
    }
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }
}

export function photoSearchLimitFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PHOTO_SEARCH_MAX_IN_FLIGHT ?? 16);
  return Number.isInteger(n) && n > 0 ? n : 16;
}

let photoAdmission: Admission | undefined;

/** The process's photo-search admission (limit read from the environment once). */
export function photoSearchAdmission(): Admission {
  return (photoAdmission ??= new Admission(photoSearchLimitFromEnv()));
}
