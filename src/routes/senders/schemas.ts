import { z } from "@hono/zod-openapi";
import type { SenderRow } from "../../db/schema";
import { SENDER_KINDS } from "../../domain/senders";
import { TEMPLATE_STATUSES } from "../../domain/templates";
import { listQuery } from "../../lib/pagination";

export const CreateSenderBody = z
  .object({
    value: z.string().min(1).max(16).openapi({ example: "ACME", description: "For a signature, the text inside 【】, e.g. `阿里云`." }),
    kind: z.enum(SENDER_KINDS),
  })
  .strict()
  .openapi("CreateSenderRequest");

export const Sender = z
  .object({
    id: z.string().openapi({ example: "snd_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    kind: z.enum(SENDER_KINDS),
    value: z.string(),
    status: z.enum(TEMPLATE_STATUSES),
    rejection_reasons: z.array(z.string()).nullable(),
    default: z.boolean().openapi({ description: "Used when a message names no `from`." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Sender");

export const SenderList = z.object({ data: z.array(Sender), next_cursor: z.string().nullable() }).openapi("SenderList");
export const SenderListQuery = listQuery.extend({ status: z.enum(TEMPLATE_STATUSES).optional(), kind: z.enum(SENDER_KINDS).optional() });

export function presentSender(row: SenderRow, defaultId: string | null): z.infer<typeof Sender> {
  return {
    id: row.id,
    kind: row.kind,
    value: row.value,
    status: row.status,
    rejection_reasons: row.reasons,
    default: row.id === defaultId,
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}
