/**
 * The attacker side of the hostile-mix run, as a process of its own:
 *   node --import tsx scripts/hostile-attackers.ts '<AttackOptions as JSON>'
 * Prints one line `ATTACK_JSON {…}` (an AttackReport) when the time is up.
 */
import { runAttacks, type AttackOptions } from "./lib/hostile-traffic";

const opts = JSON.parse(process.argv[2] ?? "{}") as AttackOptions;
const report = await runAttacks(opts);
console.log(`ATTACK_JSON ${JSON.stringify(report)}`);
process.exit(0);
