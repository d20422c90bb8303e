// Numbers are logged only in E.164; each keeps its first 6 and last 4 characters: +86138****8000.
const E164 = /\+\d{7,15}\b/g;

export function maskPhone(text: string): string {
  return text.replace(E164, (n) => `${n.slice(0, 6)}****${n.slice(-4)}`);
}

type Fields = Record<string, unknown>;

function write(level: "info" | "warn" | "error", event: string, fields: Fields): void {
  const line = maskPhone(JSON.stringify({ level, event, ...fields, at: new Date().toISOString() }));
  console[level === "info" ? "log" : level](line);
}

/** Structured JSON logs, one line an event; phone numbers are masked on the way out. */
export const log = {
  info: (event: string, fields: Fields = {}) => write("info", event, fields),
  warn: (event: string, fields: Fields = {}) => write("warn", event, fields),
  error: (event: string, fields: Fields = {}) => write("error", event, fields),
};
