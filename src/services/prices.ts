import { asc } from "drizzle-orm";
import type { Db } from "../db/client";
import { prices, type PriceRow } from "../db/schema";
import { TtlCache } from "../lib/ttl-cache";

/** The price key for every country without a price of its own. */
export const DEFAULT_COUNTRY = "default";
/** Per segment, in micro-units, until the operator sets a `default` price. */
export const FALLBACK_UNIT_PRICE = 50_000;
/** How long an isolate trusts its copy of the price list; a change reaches every isolate within this. */
export const PRICE_CACHE_MS = 60_000;

const cache = new TtlCache<Map<string, number>>(PRICE_CACHE_MS, 1);

/** Micro-units per segment to `country`, from a per-isolate copy of the (small) price list. */
export async function unitPrice(db: Db, country: string | null): Promise<number> {
  const byCountry = await cache.getOrLoad("all", async () => {
    const rows = await db.select({ country: prices.country, unitPrice: prices.unitPrice }).from(prices);
    return new Map(rows.map((row) => [row.country, row.unitPrice]));
  });
  const own = country === null ? undefined : byCountry.get(country);
  return own ?? byCountry.get(DEFAULT_COUNTRY) ?? FALLBACK_UNIT_PRICE;
}

export async function listPrices(db: Db): Promise<PriceRow[]> {
  return db.select().from(prices).orderBy(asc(prices.country));
}

export async function putPrice(db: Db, country: string, price: number): Promise<PriceRow> {
  const row: PriceRow = { country, unitPrice: price, updatedAt: Date.now() };
  await db.insert(prices).values(row).onConflictDoUpdate({ target: prices.country, set: { unitPrice: price, updatedAt: row.updatedAt } });
  // This isolate sees the change at once; the others within PRICE_CACHE_MS.
  cache.clear();
  return row;
}
