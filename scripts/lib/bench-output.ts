/**
 * How a benchmark prints its figures: progress and tables on stdout and a last line
 * "BENCH_JSON {…}", or with `--json` exactly one line of JSON on stdout and everything else on stderr
 * (so a script can read the figures). Call `benchOutput()` before printing anything.
 */
export function benchOutput(argv: readonly string[] = process.argv): { emit(figures: unknown): void } {
  const jsonOnly = argv.includes("--json");
  if (jsonOnly) console.log = (...a: unknown[]) => console.error(...a);
  return {
    emit(figures: unknown) {
      if (jsonOnly) process.stdout.write(JSON.stringify(figures) + "\n");
      else console.log("BENCH_JSON " + JSON.stringify(figures));
    },
  };
}
