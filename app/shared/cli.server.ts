/** Small helpers shared by the command-line entry points. */
import { ConfigError } from "../config.server";
import { DatabaseNotReadyError } from "../db/database-setup.server";
import { RedisUnavailableError } from "../redis.server";
import { rootLogger } from "../logging/logger.server";

/** A CLI's progress line for the person running it (stderr; stdout is the CLI's data). */
export function log(message: string): void {
  process.stderr.write(`[lookalike] ${message}\n`);
}

/** Errors users can act on, printed as one line; anything else is a bug and keeps its stack. */
export class UserFacingError extends Error {}

export function isUserFacing(err: unknown): err is Error {
  return err instanceof UserFacingError || err instanceof ConfigError || err instanceof RedisUnavailableError || err instanceof DatabaseNotReadyError;
}

export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (isUserFacing(err)) {
      process.stderr.write(`\nlookalike: ${err.message}\n`);
      process.exit(2);
    }
    // A bug: logged in full (stack) as the process' last line.
    rootLogger().fatal({ err }, `crashed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
