import type { ParsedReceipt, PartStatus } from "../domain/receipts";
import { hmac, secretsEqual, toHex } from "../lib/crypto";
import { TOLERANCE_SECONDS } from "../lib/standard-webhooks";
import { carrierFetch, httpFailure, SUBMIT_TIMEOUT_MS, unreadableAnswer, type CarrierAdapter, type InboundSms, type SubmitResult } from "./types";

export const VONAGE = "vonage";
export const VONAGE_API = "https://rest.nexmo.com";

export interface VonageConfig {
  apiKey: string;
  apiSecret: string;
  /** Where Vonage posts delivery receipts: our /webhooks/vonage/status. */
  statusCallback: string | null;
  baseUrl?: string;
  timeoutMs?: number;
}

/**
 * The SMS API's per-message `status` (https://developer.vonage.com/messaging/sms/guides/troubleshooting-sms).
 * 0 is success; what is about the message fails it, what is about our account or this route moves on.
 */
const SUBMIT_STATUSES: Record<string, { code: string; retryable: boolean }> = {
  "1": { code: "carrier_throttled", retryable: true },
  "2": { code: "rejected_by_carrier", retryable: false },
  "3": { code: "rejected_by_carrier", retryable: false },
  "4": { code: "carrier_auth_failed", retryable: true },
  "5": { code: "carrier_unavailable", retryable: true },
  "6": { code: "rejected_by_carrier", retryable: false },
  "7": { code: "recipient_blocked", retryable: false },
  "8": { code: "carrier_auth_failed", retryable: true },
  "9": { code: "carrier_quota_exceeded", retryable: true },
  "10": { code: "carrier_throttled", retryable: true },
  "11": { code: "carrier_auth_failed", retryable: true },
  "12": { code: "body_too_long", retryable: false },
  "14": { code: "carrier_auth_failed", retryable: true },
  "15": { code: "sender_not_permitted", retryable: true },
  "22": { code: "route_unavailable", retryable: true },
  "23": { code: "carrier_config_error", retryable: true },
  "29": { code: "region_not_permitted", retryable: true },
  "33": { code: "invalid_number", retryable: false },
};

/** Delivery receipt `status` in ours. */
export const VONAGE_STATUSES: Record<string, PartStatus | null> = {
  accepted: "sent",
  buffered: "sent",
  delivered: "delivered",
  expired: "undelivered",
  failed: "undelivered",
  rejected: "undelivered",
  unknown: null,
};

/** Delivery receipt `err-code` in our words. */
const DELIVERY_ERRORS: Record<string, string> = {
  "1": "carrier_unknown_error",
  "2": "handset_unreachable",
  "3": "handset_unreachable",
  "4": "recipient_barred",
  "5": "portability_error",
  "6": "filtered_by_carrier",
  "7": "handset_busy",
  "8": "network_error",
  "9": "invalid_number",
  "10": "message_rejected",
  "11": "route_unavailable",
  "12": "handset_unreachable",
  "13": "recipient_age_restricted",
  "14": "message_blocked",
  "15": "recipient_insufficient_funds",
  "99": "carrier_unknown_error",
};

interface VonageResponse {
  messages?: { status?: string; "message-id"?: string; "error-text"?: string }[];
}

export function createVonage(config: VonageConfig): CarrierAdapter {
  const base = config.baseUrl ?? VONAGE_API;
  return {
    name: VONAGE,
    async submit(sms): Promise<SubmitResult> {
      if (!sms.from) return { ok: false, retryable: true, code: "sender_required", message: "Vonage needs a sender (`from`)." };
      const sent = await carrierFetch(
        `${base}/sms/json`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            api_key: config.apiKey,
            api_secret: config.apiSecret,
            from: sms.from.replace(/^\+/, ""),
            to: sms.to.replace(/^\+/, ""),
            text: sms.body,
            type: sms.encoding === "UCS-2" ? "unicode" : "text",
            "client-ref": sms.reference,
            ...(config.statusCallback && { "status-report-req": 1, callback: config.statusCallback }),
          }),
        },
        config.timeoutMs ?? SUBMIT_TIMEOUT_MS,
      );
      if (!sent.ok) return sent;
      const body = (await sent.response.json().catch(() => null)) as VonageResponse | null;
      if (sent.response.ok && !body?.messages?.length) return unreadableAnswer("Vonage", sent.response.status);
      if (!sent.response.ok || !body?.messages?.length) return httpFailure(sent.response.status, `Vonage ${sent.response.status}`);
      // A concatenated message comes back one entry per part, each with its own id and, later, receipt.
      const accepted = body.messages.filter((m) => m.status === "0" && m["message-id"]).map((m) => m["message-id"]!);
      // If only some parts went, the message is still on its way; the missing parts' receipts never come.
      if (accepted.length > 0) return { ok: true, carrierMessageIds: accepted as [string, ...string[]] };
      const refused = body.messages.find((m) => m.status !== "0")!;
      const message = `Vonage status ${refused.status}: ${refused["error-text"] ?? "no error text"}`;
      const known = SUBMIT_STATUSES[refused.status ?? ""];
      return known ? { ok: false, ...known, message } : { ok: false, retryable: false, code: "rejected_by_carrier", message };
    },
  };
}

/** A delivery receipt (query, form or JSON fields) in our terms. */
export function parseVonageReceipt(fields: Record<string, string>): ParsedReceipt | null {
  const id = fields.messageId ?? fields["message-id"];
  const carrierStatus = fields.status;
  if (!id || !carrierStatus) return null;
  const status = VONAGE_STATUSES[carrierStatus] ?? null;
  const err = fields["err-code"];
  const errorCode = status === "undelivered" ? (err && err !== "0" ? (DELIVERY_ERRORS[err] ?? `vonage_${err}`) : `carrier_${carrierStatus}`) : null;
  return {
    carrierMessageId: id,
    status,
    errorCode,
    carrierStatus,
    carrierTime: fields["message-timestamp"] ?? fields.scts ?? null,
    reference: fields["client-ref"] || null,
  };
}

/** An SMS API inbound message, or null when a field is missing. Vonage writes numbers without the `+`. */
export function parseVonageInbound(fields: Record<string, string>): InboundSms | null {
  const { msisdn, to, text, messageId } = fields;
  if (!msisdn || !to || text === undefined || !messageId) return null;
  const e164 = (n: string) => (n.startsWith("+") ? n : `+${n}`);
  return { carrierMessageId: messageId, from: e164(msisdn), to: e164(to), text };
}

/**
 * Vonage's signed webhooks, SHA-256 HMAC method: every parameter but `sig`, sorted by name, as
 * `&name=value` with `&` and `=` in values replaced by `_`, HMAC-SHA256'd with the signature secret, hex.
 */
export async function vonageSignature(secret: string, fields: Record<string, string>): Promise<string> {
  const content = Object.keys(fields)
    .filter((name) => name !== "sig")
    .sort()
    .map((name) => `&${name}=${fields[name]!.replace(/[&=]/g, "_")}`)
    .join("");
  return toHex(await hmac("SHA-256", secret, content));
}

/** Checks `sig` and that the signed `timestamp` (Unix seconds) is within 5 minutes, so a replay is refused. */
export async function verifyVonageSignature(secret: string, fields: Record<string, string>, nowSeconds: number): Promise<string | null> {
  if (!secret) return "no signature secret is configured";
  if (!fields.sig) return "no sig parameter";
  const timestamp = Number(fields.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) return "timestamp missing or outside the 5-minute tolerance";
  const expected = await vonageSignature(secret, fields);
  return (await secretsEqual(expected, fields.sig.toLowerCase())) ? null : "no signature matches";
}
