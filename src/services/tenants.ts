import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { tenants, type TenantRow } from "../db/schema";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { forgetVerifiedKeys } from "./api-keys";

export async function createTenant(db: Db, name: string): Promise<TenantRow> {
  const row: TenantRow = { id: newId("tenant"), name, metered: true, sandbox: true, defaultSenderId: null, keywords: null, callbackSecret: null, quietHours: null, createdAt: Date.now() };
  await db.insert(tenants).values(row);
  return row;
}

export async function getTenant(db: Db, id: string): Promise<TenantRow> {
  const row = await db.query.tenants.findFirst({ where: eq(tenants.id, id) });
  if (!row) throw new ApiError("not_found", `No tenant ${id}.`);
  return row;
}

/** Changes what is stored of the tenant in D1 (its name, whether it is metered); limits live in its meter. */
export async function updateTenant(db: Db, id: string, changes: Partial<Pick<TenantRow, "name" | "metered" | "sandbox" | "defaultSenderId" | "keywords" | "quietHours">>): Promise<TenantRow> {
  if (Object.keys(changes).length === 0) return getTenant(db, id);
  const [row] = await db.update(tenants).set(changes).where(eq(tenants.id, id)).returning();
  if (!row) throw new ApiError("not_found", `No tenant ${id}.`);
  // Verified keys carry their tenant's flags: this isolate sees the change at once, others within KEY_CACHE_MS.
  forgetVerifiedKeys();
  return row;
}
