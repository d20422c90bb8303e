import { z } from "@hono/zod-openapi";
import type { ContactRow } from "../../db/schema";
import { MAX_ATTRIBUTE_LENGTH } from "../../domain/contacts";
import { PLACEHOLDER_NAME } from "../../domain/templates";
import { countryCode } from "../../lib/openapi";
import { listQuery } from "../../lib/pagination";

const iso = (ms: number) => new Date(ms).toISOString();
const attributeKey = z.string().regex(PLACEHOLDER_NAME, "an attribute name: a lower-case letter, then up to 31 of a-z, 0-9 and _");

export const Contact = z
  .object({
    id: z.string().openapi({ example: "con_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    phone: z.string(),
    attributes: z.record(z.string(), z.string()).openapi({ example: { first_name: "Ann" }, description: "Template params when sending to a group." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Contact");

export const ContactList = z.object({ data: z.array(Contact), next_cursor: z.string().nullable() }).openapi("ContactList");
export const ContactListQuery = listQuery.extend({
  group_id: z.string().max(64).optional(),
  phone_prefix: z.string().regex(/^\+[0-9]{1,14}$/, "a + and leading digits, e.g. +8613").optional(),
});
export const UpdateContactBody = z
  .object({ attributes: z.record(attributeKey, z.string().max(MAX_ATTRIBUTE_LENGTH).nullable()) })
  .strict()
  .openapi("UpdateContactRequest", { description: "Merged into the contact's attributes; null removes one." });

export const ContactImportQuery = z.object({
  country: countryCode.optional(),
  group_id: z.string().max(64).optional().openapi({ description: "Add every imported contact to this group." }),
});
export const ContactImportJson = z
  .array(z.record(z.string(), z.string().max(MAX_ATTRIBUTE_LENGTH)))
  .openapi("ContactImportRequest", { description: "Objects with `phone` and attribute columns; or send text/csv with a header row." });

export const presentContact = (row: ContactRow): z.infer<typeof Contact> => ({
  id: row.id,
  phone: row.phone,
  attributes: row.attributes,
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
});
