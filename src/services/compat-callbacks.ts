// The status posts of messages sent through a compatible API, in that vendor's format: Twilio's
// StatusCallback (a form, signed with X-Twilio-Signature under the Account SID's auth token) and Alibaba's
// SmsReport (a JSON array). They travel the same durable deliveries, with the same retries, as ours.
import { cstDateTime, reportErrCode } from "../domain/compat/alibaba";
import type { CompatApi } from "../domain/compat/apis";
import { messageErrorCode, messageSid, signatureBase, TWILIO_API_VERSION, twilioStatus } from "../domain/compat/twilio";
import type { MessageStatus } from "../domain/message-status";
import { hmac, toBase64 } from "../lib/crypto";

/** What a `message.status` event carries (src/services/events.ts), with the message fields a vendor's format adds. */
export interface StatusEventData {
  message_id: string;
  status: MessageStatus;
  to: string;
  reference: string | null;
  batch_id: string | null;
  segments: number;
  error: { code: string; message: string | null } | null;
  updated_at: string;
}
export interface CallbackMessage {
  from: string | null;
  submittedAt: number | null;
  credentialId: string | null;
}

/** Statuses an SmsReport is pushed for: the final ones, as Alibaba reports only the outcome. */
export const ALIBABA_REPORTED: readonly MessageStatus[] = ["delivered", "undelivered", "failed", "expired"];

/** Twilio's StatusCallback parameters for one status change. */
export function twilioCallbackParams(data: StatusEventData, message: CallbackMessage): Record<string, string> {
  const status = twilioStatus(data.status);
  const errorCode = messageErrorCode(data.status, data.error?.code ?? null);
  return {
    AccountSid: message.credentialId ?? "",
    ApiVersion: TWILIO_API_VERSION,
    From: message.from ?? "",
    MessageSid: messageSid(data.message_id),
    MessageStatus: status,
    SmsSid: messageSid(data.message_id),
    SmsStatus: status,
    To: data.to,
    ...(errorCode === null ? {} : { ErrorCode: String(errorCode) }),
  };
}

/** Alibaba's SmsReport array (one report per post). `biz_id` is what SendSms answered: the batch's, for many numbers. */
export function alibabaReport(data: StatusEventData, message: CallbackMessage) {
  return [
    {
      phone_number: data.to.replace(/^\+86/, ""),
      send_time: cstDateTime(message.submittedAt ?? Date.parse(data.updated_at)),
      report_time: cstDateTime(Date.parse(data.updated_at)),
      success: data.status === "delivered",
      err_code: reportErrCode(data.status, data.error?.code ?? null),
      err_msg: data.status === "delivered" ? "用户接收成功" : (data.error?.message ?? data.status),
      sms_size: String(data.segments),
      biz_id: data.batch_id ?? data.message_id,
      out_id: data.reference ?? "",
    },
  ];
}

/** The body and headers of one post in `format`; `secret` is the credential's (Twilio signs with it). */
export async function compatPost(format: CompatApi, url: string, data: StatusEventData, message: CallbackMessage, secret: string | null) {
  if (format === "alibaba") {
    return { contentType: "application/json", body: JSON.stringify(alibabaReport(data, message)), headers: {} as Record<string, string> };
  }
  const params = twilioCallbackParams(data, message);
  const signature = secret === null ? null : toBase64(await hmac("SHA-1", secret, signatureBase(url, params)));
  return {
    contentType: "application/x-www-form-urlencoded",
    body: new URLSearchParams(params).toString(),
    headers: signature === null ? ({} as Record<string, string>) : { "X-Twilio-Signature": signature },
  };
}
