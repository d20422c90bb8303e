const encoder = new TextEncoder();

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

/** Compares two secrets in constant time: both are hashed first so their lengths cannot leak. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

function base64ToBytes(b64: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}


/** True when `secret` is a Standard Webhooks secret this code can key an HMAC with (`whsec_` and base64). */
export function isWebhookSecret(secret: string | undefined): secret is string {
  if (typeof secret !== "string") return false;
  const raw = base64ToBytes(secret.replace(/^whsec_/, ""));
  return raw !== null && raw.length > 0;
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  // Standard Webhooks secrets are "whsec_" followed by the base64 key.
  const raw = base64ToBytes(secret.replace(/^whsec_/, ""));
  if (!raw || raw.length === 0) throw new Error("webhook secret is not whsec_<base64>");
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function hmacSha256Base64(secret: string, content: string): Promise<string> {
  const key = await hmacKey(secret);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(content))));
}

/** True when `signature` (base64) is the HMAC of `content`; crypto.subtle.verify compares in constant time. */
export async function hmacSha256Verify(secret: string, content: string, signature: string): Promise<boolean> {
  const sig = base64ToBytes(signature);
  if (!sig) return false;
  const key = await hmacKey(secret);
  return crypto.subtle.verify("HMAC", key, sig, encoder.encode(content));
}

/** HMAC of `content` keyed with the UTF-8 bytes of `secret` (carriers' own schemes: Twilio, Vonage). */
export async function hmac(hash: "SHA-1" | "SHA-256", secret: string, content: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(content)));
}

export function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
