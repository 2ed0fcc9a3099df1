/**
 * At most `limit` things at once per key (e.g. photo uploads per client address): `enter` returns
 * the leave (idempotent) or null when that key is at its limit. Keys with nothing running are
 * forgotten, so the map holds only what is in flight.
 */
export class KeyedConcurrency {
  private readonly running = new Map<string, number>();

  constructor(readonly limit: number) {}

  enter(key: string): (() => void) | null {
    const n = this.running.get(key) ?? 0;
    if (n >= this.limit) return null;
    this.running.set(key, n + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const m = (this.running.get(key) ?? 1) - 1;
      if (m <= 0) this.running.delete(key);
      else this.running.set(key, m);
    };
  }
}

export function photoUploadsPerClientFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  // 4, not 1: shoppers behind one NAT (an office, a mobile carrier) share an address.
  const n = Number(env.PHOTO_UPLOADS_PER_CLIENT ?? 4);
  return Number.isInteger(n) && n > 0 ? n : 4;
}
