import { describe, expect, it } from "vitest";
import { jsonLines } from "./json-lines";

async function all(raw: Buffer, pause: () => Promise<void> = async () => {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of jsonLines(raw, pause)) out.push(v);
  return out;
}

describe("jsonLines", () => {
  it("parses each line in order, with or without a final newline, multi-byte text across lines intact", async () => {
    const lines = [{ head: "é✓" }, [1, "a"], [2, "ü"]];
    const text = lines.map((l) => JSON.stringify(l)).join("\n");
    expect(await all(Buffer.from(text))).toEqual(lines);
    expect(await all(Buffer.from(`${text}\n`))).toEqual(lines);
    expect(await all(Buffer.alloc(0))).toEqual([]);
  });

  it("pauses before every line after the first", async () => {
    let pauses = 0;
    await all(Buffer.from('{"a":1}\n[1]\n[2]\n'), async () => void pauses++);
    expect(pauses).toBe(2);
  });

  it("stops at an empty line and throws on a line that is not JSON (a truncated file)", async () => {
    expect(await all(Buffer.from('{"a":1}\n\n[1]\n'))).toEqual([{ a: 1 }]);
    await expect(all(Buffer.from('{"a":1}\n[1, 2'))).rejects.toThrow(SyntaxError);
  });
});
