import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { tenants, type TenantRow } from "../db/schema";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";

export async function createTenant(db: Db, name: string): Promise<TenantRow> {
  const row: TenantRow = { id: newId("tenant"), name, createdAt: Date.now() };
  await db.insert(tenants).values(row);
  return row;
}

export async function getTenant(db: Db, id: string): Promise<TenantRow> {
  const row = await db.query.tenants.findFirst({ where: eq(tenants.id, id) });
  if (!row) throw new ApiError("not_found", `No tenant ${id}.`);
  return row;
}
