import { z } from "@hono/zod-openapi";
import type { BatchRejectRow, BatchRow } from "../../db/schema";
import { BATCH_STATUSES, BATCH_STOP_CODES, deliveryRate, MAX_BATCH_RECIPIENTS, RECIPIENT_REJECT_CODES } from "../../domain/batches";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "../../domain/message-status";
import { countryCode, idempotencyHeader } from "../../lib/openapi";
import { listQuery } from "../../lib/pagination";
import type { BatchView } from "../../services/batches";
import { SendMessageBody, sendAt } from "../messages/schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const single = SendMessageBody.shape;

export const BatchRecipient = z
  .object({ to: single.to, params: single.params })
  .strict()
  .openapi("BatchRecipient");

export const CreateBatchBody = z
  .object({
    name: z.string().min(1).max(128).optional().openapi({ example: "November newsletter" }),
    type: z.enum(MESSAGE_TYPES).openapi({ description: "With a template, the template's type." }),
    template_id: single.template_id,
    body: single.body,
    from: single.from,
    recipients: z
      .array(BatchRecipient)
      .min(1, "a batch needs at least one recipient")
      .max(MAX_BATCH_RECIPIENTS, `at most ${MAX_BATCH_RECIPIENTS} recipients; send larger lists as a group`)
      .optional()
      .openapi({ description: `Up to ${MAX_BATCH_RECIPIENTS} recipients, each with its own template params.` }),
    group_id: z.string().min(1).max(64).optional().openapi({ description: "Send to every contact of a group; their attributes are the params." }),
    send_at: sendAt.optional(),
    country: countryCode.optional(),
  })
  .strict()
  .refine((b) => (b?.body === undefined) !== (b?.template_id === undefined), { path: ["body"], message: "send exactly one of body and template_id", when: () => true })
  .refine((b) => (b?.recipients === undefined) !== (b?.group_id === undefined), {
    path: ["recipients"],
    message: "send exactly one of recipients and group_id",
    when: () => true,
  })
  .openapi("CreateBatchRequest");

export const CreateBatchHeaders = idempotencyHeader(
  "Retrying with the same key and body within 24 hours answers the batch the first request made, and makes no other.",
  "newsletter-2026-11",
);

export const BatchReject = z
  .object({
    index: z.number().int().openapi({ description: "The recipient's index in `recipients`, or its place in the group's expansion order." }),
    to: z.string(),
    contact_id: z.string().nullable(),
    code: z.enum(RECIPIENT_REJECT_CODES),
    detail: z.string(),
  })
  .openapi("BatchReject");

const Counts = z.object(Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof MESSAGE_STATUSES)[number], z.ZodNumber>);

export const Batch = z
  .object({
    id: z.string().openapi({ example: "bat_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    name: z.string().nullable(),
    type: z.enum(MESSAGE_TYPES),
    template_id: z.string().nullable(),
    group_id: z.string().nullable(),
    status: z.enum(BATCH_STATUSES),
    total: z.number().int().nullable().openapi({ description: "Recipients; for a group, null until expansion counts them." }),
    accepted: z.number().int().openapi({ description: "Recipients made into messages so far." }),
    rejected: z.number().int().openapi({ description: "Recipients refused: each in `rejects`, or all the rest when `stopped`." }),
    stopped: z
      .object({ code: z.enum(BATCH_STOP_CODES), detail: z.string() })
      .nullable()
      .openapi({ description: "Why expansion ended early (balance or daily quota ran out); the recipients not yet expanded were rejected." }),
    send_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    canceled_at: z.string().nullable(),
  })
  .openapi("Batch");

export const BatchDetail = Batch.extend({
  counts: Counts.nullable().openapi({ description: "The batch's messages per status, live." }),
  delivery_rate: z.number().nullable().openapi({ description: "Delivered over delivered + undelivered + failed; null before any outcome." }),
  rejects: z.array(BatchReject).openapi({ description: "Refused recipients by index (all of them when answering the create; the first 100 after)." }),
}).openapi("BatchDetail");

export const BatchList = z.object({ data: z.array(Batch), next_cursor: z.string().nullable() }).openapi("BatchList");
export const BatchListQuery = listQuery.extend({ status: z.enum(BATCH_STATUSES).optional() });
export const BatchMessagesQuery = listQuery.extend({ status: z.enum(MESSAGE_STATUSES).optional() });
export const BatchRejectList = z.object({ data: z.array(BatchReject), next_cursor: z.string().nullable() }).openapi("BatchRejectList");

export function presentBatch(row: BatchRow): z.infer<typeof Batch> {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    template_id: row.templateId,
    group_id: row.groupId,
    status: row.status,
    total: row.total,
    accepted: row.accepted,
    rejected: row.rejected,
    stopped: row.stopCode ? { code: row.stopCode as (typeof BATCH_STOP_CODES)[number], detail: row.stopDetail ?? "" } : null,
    send_at: iso(row.sendAt),
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    completed_at: iso(row.completedAt),
    canceled_at: iso(row.canceledAt),
  };
}

export const presentReject = (row: BatchRejectRow): z.infer<typeof BatchReject> => ({
  index: row.idx,
  to: row.to,
  contact_id: row.contactId,
  code: row.code as (typeof RECIPIENT_REJECT_CODES)[number],
  detail: row.detail,
});

export function presentBatchDetail(view: BatchView): z.infer<typeof BatchDetail> {
  const { counts } = view;
  return { ...presentBatch(view), counts, delivery_rate: counts && deliveryRate(counts), rejects: view.rejects.map(presentReject) };
}
