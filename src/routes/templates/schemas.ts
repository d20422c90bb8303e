import { z } from "@hono/zod-openapi";
import { MESSAGE_TYPES } from "../../domain/message-status";
import { MAX_PARAM_MAX_LENGTH, parsePlaceholders, PLACEHOLDER_NAME, TEMPLATE_STATUSES } from "../../domain/templates";
import { listQuery } from "../../lib/pagination";
import type { TemplateWithVersion } from "../../services/templates";

const iso = (ms: number) => new Date(ms).toISOString();

const ParamDeclarations = z
  .record(
    z.string().regex(PLACEHOLDER_NAME, "a placeholder name: a lower-case letter, then up to 31 of a-z, 0-9 and _"),
    z.object({ max_length: z.number().int().min(1).max(MAX_PARAM_MAX_LENGTH) }).strict(),
  )
  .openapi({ example: { code: { max_length: 8 } }, description: "Parameters that may be longer (or must be shorter) than 64 characters." });

const templateFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "Login code" }),
  body: z.string().min(1).max(1600).openapi({ example: "Your Acme code is {{code}}. It expires in {{minutes}} minutes." }),
  description: z.string().trim().max(500).nullable().optional(),
  params: ParamDeclarations.optional(),
};

export const CreateTemplateBody = z
  .object({ ...templateFields, type: z.enum(MESSAGE_TYPES) })
  .strict()
  .openapi("CreateTemplateRequest");

export const UpdateTemplateBody = z
  .object({ name: templateFields.name.optional(), body: templateFields.body.optional(), description: templateFields.description, params: templateFields.params })
  .strict()
  .openapi("UpdateTemplateRequest", { description: "A new body or new params make a new version, which needs review again." });

export const Template = z
  .object({
    id: z.string().openapi({ example: "tpl_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    name: z.string(),
    type: z.enum(MESSAGE_TYPES),
    description: z.string().nullable(),
    status: z.enum(TEMPLATE_STATUSES).openapi({ description: "The review status of the latest version." }),
    version: z.number().int().openapi({ description: "The latest version." }),
    body: z.string(),
    params: ParamDeclarations,
    placeholders: z.array(z.string()),
    rejection_reasons: z.array(z.string()).nullable(),
    approved_version: z.number().int().nullable().openapi({ description: "The version live sends use; it keeps serving while a newer one is reviewed." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Template");

export const TemplateList = z.object({ data: z.array(Template), next_cursor: z.string().nullable() }).openapi("TemplateList");

export const TemplateListQuery = listQuery.extend({ status: z.enum(TEMPLATE_STATUSES).optional(), type: z.enum(MESSAGE_TYPES).optional() });
export const ReviewQueueQuery = listQuery.extend({ status: z.enum(TEMPLATE_STATUSES).optional() });

export const RejectBody = z
  .object({ reason: z.string().trim().min(1).max(500).openapi({ example: "The brand in the text does not match the account." }) })
  .strict()
  .openapi("RejectRequest");

export function presentTemplate(row: TemplateWithVersion): z.infer<typeof Template> {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    description: row.description,
    status: row.status,
    version: row.latestVersion,
    body: row.latest.body,
    params: row.latest.params,
    placeholders: parsePlaceholders(row.latest.body).names,
    rejection_reasons: row.latest.reasons,
    approved_version: row.approvedVersion,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}
