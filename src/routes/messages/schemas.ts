import { tenantPayload } from "../../domain/carrier-payloads";
import { z } from "@hono/zod-openapi";
import type { CarrierReceiptRow, MessageRow } from "../../db/schema";
import type { MessageWithEvents as MessageWithEventsRow } from "../../services/messages";
import { ENCODINGS } from "../../domain/encoding";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "../../domain/message-status";
import { SEND_AT_PATTERN } from "../../domain/schedule";
import { countryCode, idempotencyHeader } from "../../lib/openapi";
import { listQuery } from "../../lib/pagination";

const iso = (ms: number) => new Date(ms).toISOString();

export const sendAt = z.string().regex(SEND_AT_PATTERN, "ISO 8601 with an offset, e.g. 2026-12-01T09:30:00+08:00").openapi({
  example: "2026-12-01T09:30:00+08:00",
  description: "Send later: ISO 8601 with an offset, at least 1 minute and at most 30 days ahead. The message is `scheduled` until then.",
});

export const SendMessageBody = z
  .object({
    to: z.string().min(1).max(32).openapi({ example: "+14155550123", description: "E.164, or national format with `country`." }),
    body: z.string().min(1).max(1600).optional().openapi({ example: "Your code is 123456", description: "Free text; or send `template_id`." }),
    template_id: z.string().min(1).max(64).optional().openapi({ example: "tpl_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    params: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "a placeholder name"), z.string().max(500))
      .optional()
      .openapi({ example: { code: "493021" }, description: "The template's placeholder values, inserted as plain text." }),
    type: z
      .enum(MESSAGE_TYPES)
      .optional()
      .openapi({ description: "Default `notification`; with a template, the template's type (sending another is 422)." }),
    from: z
      .string()
      .min(1)
      .max(16)
      .optional()
      .openapi({ description: "One of your senders (`POST /v1/senders`); a signature as `阿里云` or `【阿里云】`. Default: your default sender." }),
    reference: z.string().min(1).max(128).optional().openapi({ description: "Your own id for this message, echoed back." }),
    country: countryCode.optional(),
    send_at: sendAt.optional(),
    callback_url: z.string().min(1).max(2048).optional().openapi({
      example: "https://example.com/sms/status",
      description:
        "Also post this message's `message.status` events here, signed per Standard Webhooks with your callback secret " +
        "(`GET /v1/webhooks/callback-secret`). https to a public host only.",
    }),
  })
  .strict()
  // `when`: checked even when other fields fail, so one answer lists every problem.
  .refine((body) => (body?.body === undefined) !== (body?.template_id === undefined), {
    path: ["body"],
    message: "send exactly one of body and template_id",
    when: () => true,
  })
  .refine((body) => body?.params === undefined || body?.template_id !== undefined, {
    path: ["params"],
    message: "params go with template_id",
    when: () => true,
  })
  .openapi("SendMessageRequest");

export const SendHeaders = idempotencyHeader(
  "Retrying with the same key and body within 24 hours returns the first answer and sends nothing again.",
  "order-1234-otp",
);

// Dry runs have their own operation (POST /v1/messages/dry-run), so a send documents one success body. The old
// query parameter is refused rather than ignored: ignoring it would send, for real, what a client meant to try.
export const SendQuery = z.object({
  dry_run: z
    .string()
    .max(16)
    .optional()
    .refine((value) => value === undefined, "dry runs are POST /v1/messages/dry-run; this would have sent the message")
    .openapi({ description: "Not accepted: a dry run is `POST /v1/messages/dry-run`." }),
});

export const SendPreview = z
  .object({
    would_send: z.boolean(),
    refusal: z
      .object({ code: z.string(), status: z.number().int(), detail: z.string() })
      .nullable()
      .openapi({ description: "The first check that would refuse the message, as the error a send would get." }),
    to: z.string().nullable().openapi({ description: "The number in E.164, or null when it is not valid." }),
    country: z.string().nullable(),
    type: z.enum(MESSAGE_TYPES).nullable(),
    from: z.string().nullable(),
    body: z.string().nullable().openapi({ description: "The text as it would be sent: rendered, with signature and opt-out suffix." }),
    template_id: z.string().nullable(),
    template_version: z.number().int().nullable(),
    encoding: z.enum(ENCODINGS).nullable(),
    segments: z.number().int().nullable(),
    price: z.number().int().nullable(),
    currency: z.string(),
    carrier: z.string(),
    send_at: z.string().nullable().openapi({ description: "When it would go, if not at once (asked for, or held for quiet hours)." }),
  })
  .openapi("SendPreview");

export const CarrierReceipt = z
  .object({
    id: z.string().openapi({ example: "rcp_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    carrier: z.string(),
    carrier_status: z.string().openapi({ description: "The carrier's own status word, e.g. `DELIVRD` or `undelivered`." }),
    carrier_time: z.string().nullable().openapi({ description: "The carrier's time as it wrote it (often without a zone)." }),
    raw: z.string().openapi({ description: "The payload as the carrier posted it, without the operator's own fields (account ids, API keys, prices)." }),
    received_at: z.string(),
  })
  .openapi("CarrierReceipt");

export const MessageEvent = z
  .object({
    status: z.enum(MESSAGE_STATUSES),
    at: z.string(),
    detail: z.string().nullable(),
    receipt: CarrierReceipt.nullable().openapi({ description: "The carrier receipt behind this change, raw beside what was read." }),
  })
  .openapi("MessageEvent");

export const Message = z
  .object({
    id: z.string().openapi({ example: "msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    to: z.string(),
    country: z.string().nullable(),
    from: z.string().nullable(),
    type: z.enum(MESSAGE_TYPES),
    body: z.string(),
    status: z.enum(MESSAGE_STATUSES),
    encoding: z.enum(ENCODINGS),
    segments: z.number().int(),
    carrier: z.string(),
    carrier_message_id: z.string().nullable(),
    parts: z
      .object({ total: z.number().int(), delivered: z.number().int() })
      .nullable()
      .openapi({ description: "Parts the carrier reports on separately (one id and receipt each), and how many were delivered; null before submission." }),
    submitted_at: z.string().nullable().openapi({ description: "When a carrier accepted it; `sent` 72 hours after this, it is `expired`." }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    reference: z.string().nullable(),
    template_id: z.string().nullable(),
    template_version: z.number().int().nullable(),
    price: z.number().int().openapi({ description: "Micro-units reserved from the balance (0 for test keys).", example: 50000 }),
    currency: z.string().openapi({ example: "USD" }),
    refunded: z.boolean().openapi({ description: "The price was refunded: the message failed or was canceled before reaching a carrier." }),
    send_at: z.string().nullable().openapi({ description: "When a scheduled message is due; null for one sent at once." }),
    batch_id: z.string().nullable().openapi({ description: "The batch it belongs to, if any." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Message");

export const MessageWithEvents = Message.extend({ events: z.array(MessageEvent) }).openapi("MessageWithEvents");

export const MessageList = z
  .object({ data: z.array(Message), next_cursor: z.string().nullable() })
  .openapi("MessageList");

export const MessageListQuery = listQuery.extend({
  status: z.enum(MESSAGE_STATUSES).optional(),
  to: z.string().min(1).max(32).optional().openapi({ description: "Only messages to this number (E.164)." }),
});

export const MessageIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});

export function presentMessage(row: MessageRow): z.infer<typeof Message> {
  return {
    id: row.id,
    to: row.to,
    country: row.country,
    from: row.from,
    type: row.type,
    body: row.body,
    status: row.status,
    encoding: row.encoding,
    segments: row.segments,
    carrier: row.carrier,
    carrier_message_id: row.carrierMessageId,
    parts: row.parts === null ? null : { total: row.parts, delivered: row.partsDelivered },
    submitted_at: row.submittedAt === null ? null : iso(row.submittedAt),
    // An error seen on a retry that later succeeded is cleared on `sent`; a final failure keeps it.
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? "" } : null,
    reference: row.reference,
    template_id: row.templateId,
    template_version: row.templateVersion,
    price: row.price,
    currency: row.currency,
    refunded: row.refundedAt !== null,
    send_at: row.sendAt === null ? null : iso(row.sendAt),
    batch_id: row.batchId,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

function presentReceipt(receipt: CarrierReceiptRow): z.infer<typeof CarrierReceipt> {
  return {
    id: receipt.id,
    carrier: receipt.carrier,
    carrier_status: receipt.carrierStatus,
    carrier_time: receipt.carrierTime,
    raw: tenantPayload(receipt.raw),
    received_at: iso(receipt.receivedAt),
  };
}

export function presentMessageWithEvents(row: MessageWithEventsRow) {
  const receipts = new Map((row.receipts ?? []).map((r) => [r.id, r]));
  return {
    ...presentMessage(row),
    events: row.events.map((e) => {
      const receipt = e.receiptId ? receipts.get(e.receiptId) : undefined;
      return { status: e.status, at: iso(e.at), detail: e.detail, receipt: receipt ? presentReceipt(receipt) : null };
    }),
  };
}
