/** Streams a JSONL file line by line (bounded memory at any file size). */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export interface JsonlLine {
  line: number;
  value?: unknown;
  error?: string;
}

export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, error: `invalid JSON (${(err as Error).message.slice(0, 80)})` };
    }
  }
}
