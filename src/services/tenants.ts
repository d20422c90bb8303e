import { count, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { tenants, type TenantRow } from "../db/schema";
import { ApiError } from "../lib/errors";
import { CONTROL, placementShards, shardDb } from "../db/shards";
import { newId } from "../lib/ids";
import { forgetVerifiedKeys } from "./api-keys";

/** Days a tenant's final messages are kept unless an operator says otherwise. */
export const DEFAULT_RETENTION_DAYS = 90;

/**
 * Creates a tenant on the placement shard with the fewest tenants (the first listed, on a tie). Placement is for
 * good: a shard added later takes new tenants and moves no one. Two creations at once may pick the same
 * shard, which only makes the spread a little less even. The shard gets the tenant's row too, first: its
 * tables' foreign keys name the tenant. That copy anchors them and nothing more; the control database's
 * row is the one read and changed.
 */
export async function createTenant(env: Env, control: Db, name: string): Promise<TenantRow> {
  const shards = placementShards(env);
  const counts = await control.select({ shard: tenants.shard, n: count() }).from(tenants).groupBy(tenants.shard);
  const load = new Map(counts.map((row) => [row.shard, row.n]));
  const shard = shards.reduce((best, next) => ((load.get(next) ?? 0) < (load.get(best) ?? 0) ? next : best));
  const row: TenantRow = {
    id: newId("tenant"),
    name,
    metered: true,
    sandbox: true,
    defaultSenderId: null,
    keywords: null,
    callbackSecret: null,
    quietHours: null,
    shard,
    retentionDays: DEFAULT_RETENTION_DAYS,
    createdAt: Date.now(),
  };
  if (shard !== CONTROL) await shardDb(env, shard).insert(tenants).values(row).onConflictDoNothing();
  await control.insert(tenants).values(row);
  return row;
}

export async function getTenant(db: Db, id: string): Promise<TenantRow> {
  const row = await db.query.tenants.findFirst({ where: eq(tenants.id, id) });
  if (!row) throw new ApiError("not_found", `No tenant ${id}.`);
  return row;
}

/** Changes what is stored of the tenant in D1 (its name, whether it is metered); limits live in its meter. */
export async function updateTenant(db: Db, id: string, changes: Partial<Pick<TenantRow, "name" | "metered" | "sandbox" | "defaultSenderId" | "keywords" | "quietHours" | "retentionDays">>): Promise<TenantRow> {
  if (Object.keys(changes).length === 0) return getTenant(db, id);
  const [row] = await db.update(tenants).set(changes).where(eq(tenants.id, id)).returning();
  if (!row) throw new ApiError("not_found", `No tenant ${id}.`);
  // Verified keys carry their tenant's flags: this isolate sees the change at once, others within KEY_CACHE_MS.
  forgetVerifiedKeys();
  return row;
}

/** The database of one tenant's data (its shard); an unknown tenant has none, so its reports are empty. */
export async function tenantDb(env: Env, control: Db, tenantId: string): Promise<Db> {
  const row = await control.query.tenants.findFirst({ columns: { shard: true }, where: eq(tenants.id, tenantId) });
  return shardDb(env, row?.shard ?? CONTROL);
}
