export const KEY_MODES = ["test", "live"] as const;
export type KeyMode = (typeof KEY_MODES)[number];

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// 32 base62 characters carry 190 bits of randomness.
const SECRET_LENGTH = 32;
const PREFIX_SHOWN = 4;
const KEY_PATTERN = /^sk_(test|live)_([0-9A-Za-z]{32})$/;

/** `length` unbiased base62 characters drawn from the given random source. */
export function randomBase62(length: number, randomBytes: (n: number) => Uint8Array): string {
  let text = "";
  while (text.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting higher bytes keeps every character equally likely.
      if (byte < 248 && text.length < length) text += ALPHABET[byte % 62];
    }
  }
  return text;
}

/** A new key: `sk_<mode>_` and 32 unbiased base62 characters drawn from the given random source. */
export function generateApiKey(mode: KeyMode, randomBytes: (n: number) => Uint8Array): string {
  return `sk_${mode}_${randomBase62(SECRET_LENGTH, randomBytes)}`;
}

/** The mode of a well-formed key, or null for anything that cannot be one of ours. */
export function parseApiKey(key: string): { mode: KeyMode } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { mode: match[1] as KeyMode } : null;
}

/** What may be shown of a key after creation: its mode marker and first few secret characters. */
export function displayPrefix(key: string): string {
  const cut = key.indexOf("_", 3) + 1;
  return key.slice(0, cut + PREFIX_SHOWN);
}

/**
 * How long an isolate trusts a key (or a credential) it has verified, with its tenant's flags: a key revoked (or a
 * tenant changed) elsewhere takes effect in every isolate within this; in the isolate that made the change, at once.
 */
export const KEY_CACHE_MS = 30_000;
