/** Demo-only routes exist only when LOOKALIKE_DEMO=1 (npm run demo); elsewhere they are 404. */
import { config } from "../config.server";

export function requireDemo(): void {
  if (!config().demo) throw new Response("Not found", { status: 404 });
}
