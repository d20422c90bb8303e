import { z } from "@hono/zod-openapi";
import type { GroupRow } from "../../db/schema";
import { countryCode } from "../../lib/openapi";

const iso = (ms: number) => new Date(ms).toISOString();

export const Group = z
  .object({ id: z.string().openapi({ example: "grp_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }), name: z.string(), member_count: z.number().int(), created_at: z.string(), updated_at: z.string() })
  .openapi("Group");
export const GroupList = z.object({ data: z.array(Group), next_cursor: z.string().nullable() }).openapi("GroupList");
export const GroupBody = z.object({ name: z.string().trim().min(1).max(100) }).strict().openapi("GroupRequest");
export const AddMembersBody = z
  .object({
    contact_ids: z.array(z.string().max(64)).max(1000).optional(),
    phones: z.array(z.string().max(32)).max(1000).optional(),
    country: countryCode.optional(),
  })
  .strict()
  .openapi("AddMembersRequest", { description: "Contacts by id, or numbers (a number with no contact yet becomes one)." });
export const AddMembersResult = z
  .object({ group: Group, errors: z.array(z.object({ input: z.string(), message: z.string() })) })
  .openapi("AddMembersResult");
export const MemberParams = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
  contact_id: z.string().min(1).max(64).openapi({ param: { name: "contact_id", in: "path" } }),
});

export const presentGroup = (row: GroupRow & { memberCount: number }): z.infer<typeof Group> => ({
  id: row.id,
  name: row.name,
  member_count: row.memberCount,
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
});
