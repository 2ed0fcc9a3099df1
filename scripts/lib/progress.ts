/** A one-line CLI progress bar on stderr (rewritten in place on a terminal, periodic lines otherwise). */
export function createProgressLine(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastPrinted = 0;
  return {
    update(done: number, total: number, extra = "") {
      const width = 28;
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const bar = "█".repeat(Math.round(ratio * width)).padEnd(width, "░");
      const text = `${label} ${bar} ${done}/${total} ${(ratio * 100).toFixed(0).padStart(3)}% ${extra}`;
      if (stream.isTTY) stream.write(`\r${text}\x1b[K`);
      else if (Date.now() - lastPrinted > 2_000 || done === total) {
        stream.write(`${text}\n`);
        lastPrinted = Date.now();
      }
    },
    end() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}
