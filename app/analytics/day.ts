/** The UTC day of a moment, as the analytics tables store it: YYYY-MM-DD. */
export function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}
