// Numbers are logged only masked; each keeps its first 6 and last 4 characters: +86138****8000. A number
// may come URL-encoded (%2B8613…), and a Vonage-style number without its plus after a `msisdn`/`to`/`from` key.
const E164 = /(\+|%2B)(\d{7,15})\b/gi;
const BARE_NUMBER_FIELD = /("(?:msisdn|to|from|To|From|phone)"\s*:\s*")(\d{7,15})"/g;
// API keys: only the mode survives.
const API_KEY = /\bsk_(test|live)_[A-Za-z0-9_-]+/g;
// A failed query's bound parameters (drizzle writes them into its error: numbers, bodies, keys' hashes), up to
// the end of their line as the JSON line escapes it (`\n`) or the end of the string: the SQL stays, they go.
const BOUND_PARAMS = /params: (?:\\[^n]|[^"\\])*/g;

const maskDigits = (plus: string, digits: string) => `${plus}${digits.slice(0, 5)}****${digits.slice(-4)}`;

export function maskPhone(text: string): string {
  return text
    .replace(E164, (_, plus: string, digits: string) => maskDigits(plus, digits))
    .replace(BARE_NUMBER_FIELD, (_, key: string, digits: string) => `${key}${digits.slice(0, 5)}****${digits.slice(-4)}"`);
}

/** What a log line may show of any text: no bound SQL parameters, numbers masked, API keys cut to their mode. */
export function redact(text: string): string {
  return maskPhone(text.replace(BOUND_PARAMS, "params: [redacted]")).replace(API_KEY, "sk_$1_****");
}

type Fields = Record<string, unknown>;
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a line at `level` is written under the configured `LOG_LEVEL` (default info). */
export function logs(level: LogLevel, configured: string | undefined): boolean {
  return RANK[level] >= (RANK[configured as LogLevel] ?? RANK.info);
}

function write(level: "info" | "warn" | "error", event: string, fields: Fields): void {
  const line = redact(JSON.stringify({ level, event, ...fields, at: new Date().toISOString() }));
  console[level === "info" ? "log" : level](line);
}

/** Structured JSON logs, one line an event; numbers and keys are redacted on the way out. */
export const log = {
  info: (event: string, fields: Fields = {}) => write("info", event, fields),
  warn: (event: string, fields: Fields = {}) => write("warn", event, fields),
  error: (event: string, fields: Fields = {}) => write("error", event, fields),
};
