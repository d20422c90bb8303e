// Alibaba Cloud SMS (dysmsapi, version 2017-05-25) in its own words: how its SDKs sign a request, its
// dates, statuses, template syntax and error codes. Pure: src/routes/dysmsapi and the callbacks use it.
import type { ErrorCode } from "../../lib/errors";
import type { MessageStatus, MessageType } from "../message-status";
import type { TemplateStatus } from "../templates";
import { fromDecimalCode, toDecimalCode } from "./ids";

export const DYSMSAPI_VERSION = "2017-05-25";
/** A signed request is refused outside this many minutes of its timestamp, and its nonce is not taken twice within them. */
export const REPLAY_WINDOW_MS = 15 * 60_000;
/** `LTAI` and 20 characters, as Alibaba's AccessKey IDs look. */
export const ACCESS_KEY_ID = /^LTAI[0-9A-Za-z]{20}$/;
export const NONCE = /^[\x21-\x7E]{8,64}$/;

/** Alibaba's percent-encoding (RFC 3986: `!'()*` too; `~` kept). */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parameters sorted by name (code units, as the SDK sorts), each `name=value` percent-encoded, joined by `&`. */
export function canonicalQuery(params: readonly (readonly [string, string])[]): string {
  return [...params]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join("&");
}

export interface Acs3Authorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`, or null. */
export function parseAcs3Authorization(header: string | undefined): Acs3Authorization | null {
  const match = header && /^(ACS3-[A-Z0-9-]+) Credential=([^,\s]{1,128}),SignedHeaders=([a-z0-9;-]{1,1024}),Signature=([0-9a-fA-F]{1,512})$/.exec(header.trim());
  if (!match) return null;
  return { algorithm: match[1]!, accessKeyId: match[2]!, signedHeaders: match[3]!.split(";"), signature: match[4]!.toLowerCase() };
}

/** Headers every V3 signature must cover, so neither the time, the nonce, the body nor the action can be swapped. */
export const REQUIRED_SIGNED_HEADERS = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"];

/** The V3 canonical request (ACS3-HMAC-SHA256) the SDK hashes and signs. */
export function acs3CanonicalRequest(input: {
  method: string;
  path: string;
  query: readonly (readonly [string, string])[];
  headers: (name: string) => string | undefined;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  const headers = input.signedHeaders.map((name) => `${name}:${(input.headers(name) ?? "").trim()}\n`).join("");
  return [input.method.toUpperCase(), input.path || "/", canonicalQuery(input.query), headers, input.signedHeaders.join(";"), input.payloadHash].join("\n");
}

/** The V1 (RPC, HMAC-SHA1) string the older SDKs and `signatureAlgorithm: "v2"` sign; the key is `<secret>&`. */
export function rpcStringToSign(method: string, params: readonly (readonly [string, string])[]): string {
  return `${method.toUpperCase()}&${percentEncode("/")}&${percentEncode(canonicalQuery(params))}`;
}

/** `2026-12-01T09:30:00Z` (both signature versions), as milliseconds; null if it is not one. */
export function parseAcsTimestamp(text: string | undefined): number | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Alibaba answers and takes dates in China Standard Time (UTC+8): `2026-12-01 17:30:00`, days as `20261201`. */
const CST_MS = 8 * 60 * 60_000;
export function cstDateTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms + CST_MS).toISOString().slice(0, 19).replace("T", " ");
}
export const cstDay = (ms: number): string => new Date(ms + CST_MS).toISOString().slice(0, 10).replaceAll("-", "");
/** The start and end (exclusive) of a `yyyyMMdd` day in China Standard Time, or null. */
export function cstDayRange(day: string): { start: number; end: number } | null {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(day);
  if (!match) return null;
  const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) - CST_MS;
  if (Number.isNaN(start) || cstDay(start) !== day) return null;
  return { start, end: start + 86_400_000 };
}

/** QuerySendDetails' SendStatus: 1 waiting for a receipt, 2 failed, 3 delivered. */
export function sendStatus(status: MessageStatus): 1 | 2 | 3 {
  if (status === "delivered") return 3;
  if (status === "undelivered" || status === "failed" || status === "canceled" || status === "expired") return 2;
  return 1;
}

/** The ErrCode of a detail or a report: `DELIVERED`, or why not. */
export function reportErrCode(status: MessageStatus, errorCode: string | null): string {
  if (status === "delivered") return "DELIVERED";
  if (errorCode) return errorCode;
  return status === "expired" ? "EXPIRED" : status === "canceled" ? "CANCELED" : status === "undelivered" ? "UNDELIVERED" : status === "failed" ? "FAILED" : "";
}

/** Templates are `SMS_` and a number: the template id's 128 bits in decimal, so a code needs no lookup. */
export const templateCode = (templateId: string): string => toDecimalCode(templateId, "tpl", "SMS_") ?? templateId;
export const templateIdOfCode = (code: string): string | null => fromDecimalCode(code, "tpl", "SMS_");

/** TemplateType: 0 verification code, 1 notification, 2 marketing, 3 international (a notification here). */
const TEMPLATE_TYPES: Record<string, MessageType> = { "0": "otp", "1": "notification", "2": "marketing", "3": "notification" };
export const messageTypeOf = (templateType: string): MessageType | null => TEMPLATE_TYPES[templateType] ?? null;
export const templateTypeOf = (type: MessageType): number => ({ otp: 0, notification: 1, marketing: 2 })[type];

/** TemplateStatus and SignStatus: 0 in review, 1 approved, 2 rejected. */
export const reviewStatus = (status: TemplateStatus): 0 | 1 | 2 => (status === "approved" ? 1 : status === "rejected" ? 2 : 0);

/**
 * Alibaba's `${name}` variables as our `{{name}}` placeholders. Ours are lower snake case, so `${userName}`
 * becomes `{{user_name}}`, and TemplateParam's keys are converted the same way.
 */
export const placeholderName = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
export const toOurTemplate = (content: string): string => content.replace(/\$\{([A-Za-z][A-Za-z0-9_]{0,31})\}/g, (_, name: string) => `{{${placeholderName(name)}}}`);
export const toAlibabaTemplate = (body: string): string => body.replace(/\{\{([a-z][a-z0-9_]{0,31})\}\}/g, (_, name: string) => `\${${name}}`);

/**
 * How a refusal reads to Alibaba's SDKs. Business refusals are answered with HTTP 200 and a `Code` other
 * than `OK` (as Alibaba does); a request that cannot be read or authenticated gets a 4xx, which the SDK
 * raises as a ClientError. One table, keyed by our problem codes.
 */
const BUSINESS: Partial<Record<ErrorCode, string>> = {
  invalid_number: "isv.MOBILE_NUMBER_ILLEGAL",
  number_not_sms_capable: "isv.MOBILE_NUMBER_ILLEGAL",
  sandbox_recipient_not_allowed: "isv.MOBILE_NUMBER_ILLEGAL",
  rate_limited: "isv.BUSINESS_LIMIT_CONTROL",
  recipient_frequency_capped: "isv.BUSINESS_LIMIT_CONTROL",
  quota_exceeded: "isv.DAY_LIMIT_CONTROL",
  insufficient_balance: "isv.AMOUNT_NOT_ENOUGH",
  template_not_approved: "isv.SMS_TEMPLATE_ILLEGAL",
  sender_not_approved: "isv.SMS_SIGNATURE_ILLEGAL",
  content_blocked: "isv.BLACK_KEY_CONTROL_LIMIT",
  recipient_blocked: "isv.BLACK_KEY_CONTROL_LIMIT",
  recipient_opted_out: "isv.BLACK_KEY_CONTROL_LIMIT",
  body_too_long: "isv.PARAM_LENGTH_LIMIT",
  limit_exceeded: "isv.BUSINESS_LIMIT_CONTROL",
  live_sending_unconfigured: "isv.OUT_OF_SERVICE",
  idempotency_mismatch: "isv.INVALID_PARAMETERS",
  idempotency_in_progress: "isv.BUSINESS_LIMIT_CONTROL",
  not_cancelable: "isv.INVALID_PARAMETERS",
  already_exists: "isv.INVALID_PARAMETERS",
};
const GATEWAY: Partial<Record<ErrorCode, { code: string; status: number }>> = {
  unauthorized: { code: "InvalidAccessKeyId.NotFound", status: 404 },
  nonce_reused: { code: "SignatureNonceUsed", status: 400 },
  insufficient_scope: { code: "Forbidden.RAM", status: 403 },
  not_found: { code: "InvalidParameter", status: 400 },
  validation_failed: { code: "InvalidParameter", status: 400 },
  malformed_json: { code: "InvalidParameter", status: 400 },
  unsupported_media_type: { code: "InvalidParameter", status: 400 },
  payload_too_large: { code: "InvalidParameter", status: 400 },
  dependency_unavailable: { code: "ServiceUnavailable", status: 503 },
  internal_error: { code: "InternalError", status: 500 },
};

/** A template or sign that names nothing, and a field the action lacks, have codes of their own. */
export function alibabaError(code: ErrorCode, httpStatus: number, field?: string): { Code: string; status: number } {
  if (code === "not_found" && field === "TemplateCode") return { Code: "isv.SMS_TEMPLATE_ILLEGAL", status: 200 };
  if (code === "validation_failed" && (field === "TemplateParam" || field === "recipients")) return { Code: "isv.TEMPLATE_MISSING_PARAMETERS", status: 200 };
  if (code === "validation_failed" && field === "PhoneNumbers") return { Code: "isv.MOBILE_NUMBER_ILLEGAL", status: 200 };
  const business = BUSINESS[code];
  if (business) return { Code: business, status: 200 };
  return { Code: GATEWAY[code]?.code ?? "InvalidParameter", status: GATEWAY[code]?.status ?? (httpStatus >= 500 ? 500 : 400) };
}
