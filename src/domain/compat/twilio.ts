// Twilio's Messages API (version 2010-04-01) in its own words: SIDs, statuses, dates, prices, error codes
// and the signature of its webhooks. Pure: the routes (src/routes/2010-04-01) and the callback delivery use it.
import type { ErrorCode, FieldError } from "../../lib/errors";
import type { MessageStatus } from "../message-status";
import { fromHexSid, toHexSid } from "./ids";

export const TWILIO_API_VERSION = "2010-04-01";
/** Twilio's SDKs check the prefix; the 32 hex digits are random. */
export const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;

export const messageSid = (id: string): string => toHexSid(id, "msg", "SM") ?? id;
export const messageIdOfSid = (sid: string): string | null => fromHexSid(sid, "msg", "SM") ?? fromHexSid(sid, "msg", "MM");

/**
 * Our statuses in Twilio's vocabulary. `expired` (submitted, no receipt within 72 hours) has no Twilio
 * word: it is `undelivered` with error 30008, as a message whose fate is unknown.
 */
const STATUS: Record<MessageStatus, string> = {
  scheduled: "scheduled",
  queued: "queued",
  sending: "sending",
  sent: "sent",
  delivered: "delivered",
  undelivered: "undelivered",
  failed: "failed",
  canceled: "canceled",
  expired: "undelivered",
};
export const twilioStatus = (status: MessageStatus): string => STATUS[status];

/** RFC 2822, as Twilio writes every date: `Tue, 01 Dec 2026 09:30:00 +0000`. */
export const rfc2822 = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toUTCString().replace("GMT", "+0000"));

/** Twilio shows what a message cost as a negative decimal string in the currency's units. */
export const twilioPrice = (microUnits: number): string => (microUnits === 0 ? "0.00000" : (-microUnits / 1_000_000).toFixed(5));

/** Error codes a message carries when it failed: ours (or a carrier's) mapped to Twilio's where one fits. */
const MESSAGE_ERRORS: Record<string, number> = {
  recipient_opted_out: 21610,
  recipient_blocked: 21610,
  invalid_number: 21211,
  validity_period_expired: 30036,
  submit_interrupted: 30008,
  submit_unconfirmed: 30008,
};
export function messageErrorCode(status: MessageStatus, errorCode: string | null): number | null {
  if (status === "expired") return 30008;
  if (errorCode === null) return null;
  if (/^\d{5}$/.test(errorCode)) return Number(errorCode);
  return MESSAGE_ERRORS[errorCode] ?? (status === "failed" || status === "undelivered" ? 30008 : null);
}

/**
 * Our problem codes as Twilio error codes (https://www.twilio.com/docs/api/errors), in the one table the
 * surface uses. A code Twilio has no word for keeps our HTTP status as its code, as Twilio's own 400/404 do.
 */
const API_ERRORS: Partial<Record<ErrorCode, { code: number; status: number }>> = {
  unauthorized: { code: 20003, status: 401 },
  insufficient_scope: { code: 20003, status: 403 },
  not_found: { code: 20404, status: 404 },
  rate_limited: { code: 20429, status: 429 },
  quota_exceeded: { code: 20429, status: 429 },
  recipient_frequency_capped: { code: 20429, status: 429 },
  invalid_number: { code: 21211, status: 400 },
  number_not_sms_capable: { code: 21614, status: 400 },
  recipient_opted_out: { code: 21610, status: 400 },
  recipient_blocked: { code: 21610, status: 400 },
  body_too_long: { code: 21617, status: 400 },
  sender_not_approved: { code: 21212, status: 400 },
  sandbox_recipient_not_allowed: { code: 21608, status: 400 },
  insufficient_balance: { code: 20005, status: 402 },
  content_blocked: { code: 30007, status: 400 },
  validation_failed: { code: 21200, status: 400 },
  malformed_json: { code: 21200, status: 400 },
  unsupported_media_type: { code: 21200, status: 400 },
  payload_too_large: { code: 21200, status: 413 },
  not_cancelable: { code: 20009, status: 400 },
  message_in_progress: { code: 20009, status: 400 },
  idempotency_mismatch: { code: 20409, status: 409 },
  idempotency_in_progress: { code: 20409, status: 409 },
};

/** A missing or bad field has its own code in Twilio's catalogue: the first field that has one wins. */
const FIELD_ERRORS: Record<string, number> = { "body.To": 21604, "body.Body": 21602, "body.From": 21212, "body.StatusCallback": 21609 };

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(code: ErrorCode, httpStatus: number, detail: string, errors?: FieldError[]): TwilioErrorBody {
  const mapped = API_ERRORS[code];
  const fieldCode = errors?.map((e) => FIELD_ERRORS[e.path]).find((c) => c !== undefined);
  const twilioCode = fieldCode ?? mapped?.code ?? httpStatus;
  const status = mapped?.status ?? httpStatus;
  const message = errors && errors.length > 0 ? `${detail} ${errors.map((e) => `${e.path.replace(/^body\./, "")}: ${e.message}`).join("; ")}` : detail;
  return { code: twilioCode, message, more_info: `https://www.twilio.com/docs/errors/${twilioCode}`, status };
}

/**
 * What X-Twilio-Signature signs for a form post: the full URL, then every parameter's name and value,
 * sorted by name, with nothing between them; the HMAC-SHA1 of that under the auth token, in base64.
 */
export function signatureBase(url: string, params: Record<string, string>): string {
  return url + Object.keys(params).sort().map((name) => name + params[name]).join("");
}

const DAY_MS = 86_400_000;
const startOf = (text: string) => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);

/**
 * The creation-time bounds of Twilio's list filters (days `YYYY-MM-DD` or UTC instants): `DateSent` is its
 * whole UTC day, `DateSent>` from then on, `DateSent<` before then.
 */
export function dateSentRange(filter: { on?: string; after?: string; before?: string }): { createdFrom?: number; createdBefore?: number } {
  if (filter.on !== undefined) {
    const day = Date.parse(`${filter.on.slice(0, 10)}T00:00:00Z`);
    return { createdFrom: day, createdBefore: day + DAY_MS };
  }
  return { createdFrom: filter.after === undefined ? undefined : startOf(filter.after), createdBefore: filter.before === undefined ? undefined : startOf(filter.before) };
}

/** `Authorization: Basic base64(AccountSid:AuthToken)`, as Twilio's SDKs send it. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  const match = header && /^Basic\s+([A-Za-z0-9+/=]{1,512})$/i.exec(header.trim());
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
