import type { ParsedReceipt, PartStatus } from "../domain/receipts";
import { hmac, secretsEqual, toBase64 } from "../lib/crypto";
import { carrierFetch, httpFailure, SUBMIT_TIMEOUT_MS, unreadableAnswer, type CarrierAdapter, type InboundSms, type SubmitResult } from "./types";

export const TWILIO = "twilio";
export const TWILIO_API = "https://api.twilio.com";

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** Where Twilio posts status callbacks: our /webhooks/twilio/status. */
  statusCallback: string | null;
  /** Sends a message with no `from` through this Messaging Service. */
  messagingServiceSid?: string | null;
  baseUrl?: string;
  timeoutMs?: number;
}

/**
 * Twilio's REST error codes we act on (https://www.twilio.com/docs/api/errors). Those about the message
 * end it `failed` at once; those about our account or route at Twilio move it to the next carrier.
 */
const SUBMIT_ERRORS: Record<number, { code: string; retryable: boolean }> = {
  20003: { code: "carrier_auth_failed", retryable: true },
  20429: { code: "carrier_throttled", retryable: true },
  21211: { code: "invalid_number", retryable: false },
  21408: { code: "region_not_permitted", retryable: true },
  21610: { code: "recipient_opted_out", retryable: false },
  21612: { code: "route_unavailable", retryable: true },
  21614: { code: "number_not_sms_capable", retryable: false },
  21617: { code: "body_too_long", retryable: false },
  21606: { code: "sender_not_permitted", retryable: true },
  21659: { code: "sender_not_permitted", retryable: true },
  30001: { code: "carrier_throttled", retryable: true },
};

/** Twilio's delivery error codes (status callback `ErrorCode`), in our words. */
const DELIVERY_ERRORS: Record<string, string> = {
  "30003": "handset_unreachable",
  "30004": "message_blocked",
  "30005": "unknown_handset",
  "30006": "landline_or_unreachable_carrier",
  "30007": "filtered_by_carrier",
  "30008": "carrier_unknown_error",
  "30034": "sender_not_registered",
};

/** Twilio's MessageStatus in ours. Statuses before `sent` say nothing new: the submit already made it `sent`. */
export const TWILIO_STATUSES: Record<string, PartStatus | null> = {
  accepted: null,
  scheduled: null,
  queued: null,
  sending: null,
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  undelivered: "undelivered",
  failed: "failed",
  canceled: "failed",
};

export function createTwilio(config: TwilioConfig): CarrierAdapter {
  const base = config.baseUrl ?? TWILIO_API;
  const auth = `Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`;
  return {
    name: TWILIO,
    async submit(sms): Promise<SubmitResult> {
      const form = new URLSearchParams({ To: sms.to, Body: sms.body });
      if (sms.from) form.set("From", sms.from);
      else if (config.messagingServiceSid) form.set("MessagingServiceSid", config.messagingServiceSid);
      else return { ok: false, retryable: true, code: "sender_required", message: "Twilio needs a sender: set TWILIO_MESSAGING_SERVICE_SID or a default sender." };
      // Our id rides in the callback's query, so a receipt can settle the message even if this answer is lost.
      if (config.statusCallback) form.set("StatusCallback", `${config.statusCallback}?message_id=${encodeURIComponent(sms.reference)}`);
      const sent = await carrierFetch(
        `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`,
        { method: "POST", headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" }, body: form },
        config.timeoutMs ?? SUBMIT_TIMEOUT_MS,
      );
      if (!sent.ok) return sent;
      const body = (await sent.response.json().catch(() => null)) as { sid?: string; code?: number; message?: string } | null;
      if (sent.response.ok && body?.sid) return { ok: true, carrierMessageIds: [body.sid] };
      if (sent.response.ok) return unreadableAnswer("Twilio", sent.response.status);
      const message = `Twilio ${sent.response.status}${body?.code ? ` ${body.code}` : ""}: ${body?.message ?? "no error body"}`;
      const known = body?.code === undefined ? undefined : SUBMIT_ERRORS[body.code];
      if (known && sent.response.status < 500) return { ok: false, ...known, message };
      return httpFailure(sent.response.status, message);
    },
  };
}

/** A status callback (form fields) in our terms. */
export function parseTwilioStatus(form: Record<string, string>): ParsedReceipt | null {
  const sid = form.MessageSid ?? form.SmsSid;
  const carrierStatus = form.MessageStatus ?? form.SmsStatus;
  if (!sid || !carrierStatus) return null;
  const status = TWILIO_STATUSES[carrierStatus] ?? null;
  const error = form.ErrorCode;
  const errorCode = status === "undelivered" || status === "failed" ? (error ? (DELIVERY_ERRORS[error] ?? `twilio_${error}`) : "undelivered") : null;
  return { carrierMessageId: sid, status, errorCode, carrierStatus, carrierTime: null };
}

/** Twilio's messaging webhook (`From`, `To`, `Body`, `MessageSid`), or null when a field is missing. */
export function parseTwilioInbound(form: Record<string, string>): InboundSms | null {
  const { From, To, Body, MessageSid } = form;
  if (!From || !To || Body === undefined || !MessageSid) return null;
  return { carrierMessageId: MessageSid, from: From, to: To, text: Body };
}

/**
 * X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL Twilio called followed
 * by every POST parameter's name and value, sorted by name.
 */
export async function twilioSignature(authToken: string, url: string, params: Record<string, string>): Promise<string> {
  const content = url + Object.keys(params).sort().map((name) => name + params[name]).join("");
  return toBase64(await hmac("SHA-1", authToken, content));
}

export async function verifyTwilioSignature(authToken: string, url: string, params: Record<string, string>, signature: string | undefined): Promise<boolean> {
  if (!signature || !authToken) return false;
  return secretsEqual(await twilioSignature(authToken, url, params), signature);
}
