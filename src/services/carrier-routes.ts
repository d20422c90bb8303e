import { asc, eq } from "drizzle-orm";
import { SIMULATOR } from "../carriers/simulator";
import type { Db } from "../db/client";
import { routes, type MessageRow, type RouteRow } from "../db/schema";
import { carrierOrder, DEFAULT_ROUTE, type RouteEntry } from "../domain/routing";
import { ApiError } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";

/** How long an isolate trusts its copy of the route table; a change reaches every isolate within this. */
export const ROUTE_CACHE_MS = 60_000;
const cache = new TtlCache<Map<string, RouteEntry[]>>(ROUTE_CACHE_MS, 1);

export async function routeTable(db: Db): Promise<Map<string, RouteEntry[]>> {
  return cache.getOrLoad("all", async () => {
    const rows = await db.select().from(routes);
    return new Map(rows.map((row) => [row.country, row.carriers]));
  });
}

/**
 * The carriers a message tries, in failover order: the simulator alone for test keys; else the route for
 * its country, the `default` route, or `LIVE_CARRIER` when the operator has set neither.
 */
export function carriersFor(
  table: Map<string, RouteEntry[]>,
  message: Pick<MessageRow, "id" | "mode" | "country">,
  liveCarrier: string,
): string[] {
  if (message.mode === "test") return [SIMULATOR];
  const entries = (message.country ? table.get(message.country) : undefined) ?? table.get(DEFAULT_ROUTE);
  return entries?.length ? carrierOrder(entries, message.id) : [liveCarrier];
}

export async function listRoutes(db: Db): Promise<RouteRow[]> {
  return db.select().from(routes).orderBy(asc(routes.country));
}

export async function putRoute(db: Db, country: string, carriers: RouteEntry[]): Promise<RouteRow> {
  const row: RouteRow = { country, carriers, updatedAt: Date.now() };
  await db.insert(routes).values(row).onConflictDoUpdate({ target: routes.country, set: { carriers, updatedAt: row.updatedAt } });
  cache.clear();
  return row;
}

export async function deleteRoute(db: Db, country: string): Promise<void> {
  const deleted = await db.delete(routes).where(eq(routes.country, country)).returning({ country: routes.country });
  if (deleted.length === 0) throw new ApiError("not_found", `No route for ${country}.`);
  cache.clear();
}
