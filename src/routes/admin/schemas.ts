import { z } from "@hono/zod-openapi";
import type { TenantRow } from "../../db/schema";

export const CreateTenantBody = z.object({ name: z.string().trim().min(1).max(200) }).strict().openapi("CreateTenantRequest");

export const Tenant = z
  .object({ id: z.string().openapi({ example: "ten_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }), name: z.string(), created_at: z.string() })
  .openapi("Tenant");

export const TenantIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});

export function presentTenant(row: TenantRow): z.infer<typeof Tenant> {
  return { id: row.id, name: row.name, created_at: new Date(row.createdAt).toISOString() };
}
