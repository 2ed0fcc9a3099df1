/** One line that says what went wrong, for log lines: Prisma puts the cause on the last line of a multi-line message. */
export function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 200);
  const lines = err.message.split("\n").map((l) => l.trim()).filter(Boolean);
  const code = (err as { code?: unknown }).code;
  const text = lines.pop() ?? err.name;
  return (typeof code === "string" && !text.includes(code) ? `${code}: ${text}` : text).slice(0, 200);
}
