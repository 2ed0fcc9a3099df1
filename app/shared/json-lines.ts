/**
 * Reading a JSON-lines buffer a line at a time (a shop's index meta and catalog sidecar: several MB
 * for a big shop, where one `JSON.parse` of the whole blocked a serving web process for 35–125 ms).
 * Each line is decoded and parsed on its own, and `pause` is awaited before every line after the
 * first, so the caller decides how often the event loop is handed back (`yielder`).
 */

/**
 * The values of the buffer's lines, in order. Reading ends at the buffer's end or at the first
 * empty line; a line that is not JSON throws a `SyntaxError` (callers treat the file as corrupt).
 */
export async function* jsonLines(raw: Buffer, pause: () => Promise<void>): AsyncGenerator<unknown, void, undefined> {
  for (let start = 0, first = true; start < raw.length; first = false) {
    let end = raw.indexOf(10, start);
    if (end < 0) end = raw.length;
    if (end === start) return;
    if (!first) await pause();
    yield JSON.parse(raw.toString("utf8", start, end));
    start = end + 1;
  }
}
