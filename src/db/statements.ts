import type { SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";

const dialect = new SQLiteSyncDialect();

type Query = SQL | { toSQL(): { sql: string; params: unknown[] } };

/** A query builder's or raw SQL's text and parameters, as D1 is sent them. */
export function compiled(query: Query): { sql: string; params: unknown[] } {
  return "toSQL" in query ? query.toSQL() : dialect.sqlToQuery(query);
}

/**
 * Runs statements as one D1 batch (one transaction, in order) and returns each one's rows. For raw SQL
 * (RETURNING updates, JSON inserts) that drizzle's own batch does not take; builders may be mixed in.
 */
export async function runBatch<T = Record<string, unknown>>(db: Db, queries: readonly Query[]): Promise<T[][]> {
  const d1 = db.$client;
  const statements = queries.map((query) => {
    const { sql, params } = compiled(query);
    return d1.prepare(sql).bind(...params);
  });
  const results = await d1.batch<T>(statements);
  return results.map((result) => result.results ?? []);
}
