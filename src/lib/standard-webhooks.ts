import { hmacSha256Base64, hmacSha256Verify } from "./crypto";

/** Receipts older (or further in the future) than this are refused as replays. */
export const TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Signs a payload per the Standard Webhooks specification (v1, HMAC-SHA256 over id.timestamp.body). */
export async function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<WebhookHeaders> {
  const signature = await hmacSha256Base64(secret, `${id}.${timestampSeconds}.${body}`);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${signature}`,
  };
}

/** Verifies the signature headers against the raw body, as received, before anything parses it. */
export async function verifyWebhook(
  secret: string,
  headers: { get(name: string): string | null },
  rawBody: string,
  nowSeconds: number,
): Promise<VerifyResult> {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing signature headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed webhook-timestamp" };
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) {
    return { ok: false, reason: "webhook-timestamp is outside the 5-minute tolerance" };
  }
  const content = `${id}.${timestamp}.${rawBody}`;
  // The header may carry several space-separated signatures (during secret rotation); one must match.
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version === "v1" && signature && (await hmacSha256Verify(secret, content, signature))) return { ok: true };
  }
  return { ok: false, reason: "no signature matches" };
}
