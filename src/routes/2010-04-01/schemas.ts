import { z } from "@hono/zod-openapi";
import type { MessageRow } from "../../db/schema";
import { ACCOUNT_SID, messageErrorCode, messageSid, rfc2822, TWILIO_API_VERSION, twilioPrice, twilioStatus } from "../../domain/compat/twilio";
import { SEND_AT_PATTERN } from "../../domain/schedule";

const form = <T extends z.ZodRawShape>(shape: T) => z.object(shape);

export const AccountParams = z.object({
  AccountSid: z.string().regex(ACCOUNT_SID, "an Account SID: AC and 32 hex digits").openapi({ param: { name: "AccountSid", in: "path" }, example: "AC0123456789abcdef0123456789abcdef" }),
});
export const MessageParams = AccountParams.extend({
  Sid: z.string().min(1).max(64).openapi({ param: { name: "Sid", in: "path" }, example: "SM01936f1c2f6a7d3e8b4c5d6e7f8a9b0c" }),
});

/** POST Messages.json, form-encoded as Twilio's SDKs send it. Parameters Twilio has and we do not act on are ignored. */
export const CreateMessageForm = form({
  To: z.string().min(1, "A 'To' phone number is required.").max(32).openapi({ example: "+14155550123" }),
  From: z.string().min(1).max(32).optional().openapi({ description: "One of your approved senders (number, alphanumeric ID or signature); default: your default sender." }),
  MessagingServiceSid: z
    .string()
    .regex(/^MG[0-9a-f]{32}$/i, "a Messaging Service SID: MG and 32 hex digits")
    .optional()
    .openapi({ description: "Accepted for compatibility; the message goes from your default sender." }),
  Body: z.string().min(1, "A message body is required.").max(10_000).openapi({ example: "Your code is 123456" }),
  StatusCallback: z.string().min(1).max(2048).optional().openapi({ description: "Where status changes are posted in Twilio's format, signed with X-Twilio-Signature." }),
  SendAt: z.string().regex(SEND_AT_PATTERN, "ISO 8601, e.g. 2026-12-01T09:30:00Z").optional().openapi({ description: "With `ScheduleType=fixed`: send later (1 minute to 30 days ahead)." }),
  ScheduleType: z.literal("fixed").optional(),
  ValidityPeriod: z.coerce.number().int().min(1).max(36_000).optional().openapi({ description: "Seconds the message may wait for a carrier before it fails (error 30036)." }),
})
  .refine((f) => (f?.SendAt === undefined) === (f?.ScheduleType === undefined), { path: ["ScheduleType"], message: "SendAt goes with ScheduleType=fixed", when: () => true })
  .openapi("TwilioCreateMessageRequest");

/** POST Messages/{Sid}.json: cancel a scheduled message, or redact a final one's body. */
export const UpdateMessageForm = form({
  Status: z.literal("canceled").optional(),
  Body: z.literal("", { message: "only an empty Body (a redaction) is accepted" }).optional(),
})
  .refine((f) => (f?.Status === undefined) !== (f?.Body === undefined), { path: ["Status"], message: "send Status=canceled or Body= (empty)" })
  .openapi("TwilioUpdateMessageRequest");

const day = /^\d{4}-\d{2}-\d{2}$/;
const instant = z.string().regex(new RegExp(`${day.source.slice(0, -1)}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z)?$`), "YYYY-MM-DD or ISO 8601 in UTC");

export const ListMessagesQuery = z.object({
  To: z.string().min(1).max(32).optional(),
  From: z.string().min(1).max(32).optional(),
  DateSent: instant.optional().openapi({ description: "Messages made on this UTC day." }),
  "DateSent<": instant.optional().openapi({ description: "Made before this day or instant." }),
  "DateSent>": instant.optional().openapi({ description: "Made on or after this day or instant." }),
  PageSize: z.coerce.number().int().min(1).max(1000).default(50),
  Page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  PageToken: z.string().regex(/^PASM[0-9a-f]{32}$/, "a PageToken from next_page_uri").optional(),
});

export const TwilioMessage = z
  .object({
    account_sid: z.string(),
    api_version: z.literal(TWILIO_API_VERSION),
    body: z.string(),
    date_created: z.string().openapi({ example: "Tue, 01 Dec 2026 09:30:00 +0000" }),
    date_sent: z.string().nullable(),
    date_updated: z.string(),
    direction: z.literal("outbound-api"),
    error_code: z.number().int().nullable(),
    error_message: z.string().nullable(),
    from: z.string().nullable(),
    messaging_service_sid: z.string().nullable(),
    num_media: z.string(),
    num_segments: z.string(),
    price: z.string().nullable(),
    price_unit: z.string(),
    sid: z.string().openapi({ example: "SM01936f1c2f6a7d3e8b4c5d6e7f8a9b0c" }),
    status: z.string().openapi({ example: "queued" }),
    subresource_uris: z.object({ media: z.string() }),
    to: z.string(),
    uri: z.string(),
  })
  .openapi("TwilioMessage");

export const TwilioMessageList = z
  .object({
    messages: z.array(TwilioMessage),
    uri: z.string(),
    first_page_uri: z.string(),
    next_page_uri: z.string().nullable(),
    previous_page_uri: z.string().nullable(),
    page: z.number().int(),
    page_size: z.number().int(),
    start: z.number().int(),
    end: z.number().int(),
  })
  .openapi("TwilioMessageList");

export const TwilioError = z
  .object({
    code: z.number().int().openapi({ example: 21211 }),
    message: z.string().openapi({ example: "The number +1415 is not valid." }),
    more_info: z.string().openapi({ example: "https://www.twilio.com/docs/errors/21211" }),
    status: z.number().int().openapi({ example: 400 }),
  })
  .openapi("TwilioError");

const PRICED: readonly MessageRow["status"][] = ["sent", "delivered", "undelivered", "expired"];

export const messageUri = (accountSid: string, id: string) => `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages/${messageSid(id)}.json`;

/** A message (its body readable) as Twilio's Message resource. */
export function presentTwilioMessage(m: MessageRow, accountSid: string): z.infer<typeof TwilioMessage> {
  const uri = messageUri(accountSid, m.id);
  const errorCode = messageErrorCode(m.status, m.errorCode);
  return {
    account_sid: accountSid,
    api_version: TWILIO_API_VERSION,
    body: m.body,
    date_created: rfc2822(m.createdAt)!,
    date_sent: rfc2822(m.submittedAt),
    date_updated: rfc2822(m.updatedAt)!,
    direction: "outbound-api",
    error_code: errorCode,
    error_message: errorCode === null ? null : m.errorMessage,
    from: m.from,
    messaging_service_sid: null,
    num_media: "0",
    num_segments: String(m.segments),
    price: PRICED.includes(m.status) ? twilioPrice(m.price) : null,
    price_unit: m.currency,
    sid: messageSid(m.id),
    status: twilioStatus(m.status),
    subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
    to: m.to,
    uri,
  };
}
