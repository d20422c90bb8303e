import { sha256Hex } from "./crypto";

/** JSON with every object's keys in a fixed order, so equal requests hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Same idempotency key, same request: a hash of the validated body in a canonical form. */
export function fingerprint(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}
