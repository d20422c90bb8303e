import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * An INSERT of many rows as one statement whose rows travel as one JSON parameter: D1 allows 100
 * bound parameters a statement, and a message row alone has 27 columns. `where` gates the whole
 * insert (e.g. "the batch is still at this position"); rows whose key exists are skipped.
 * Values must be strings, numbers or null (JSON-mode columns pre-serialised). `where` may read the row as
 * `j.value`; `onConflict` replaces the default `ON CONFLICT DO NOTHING`.
 */
export function insertJsonRows<T extends SQLiteTable>(table: T, rows: readonly Record<string, unknown>[], where?: SQL, onConflict?: SQL): SQL {
  const columns = Object.entries(getTableColumns(table));
  const names = sql.raw(columns.map(([, column]) => `"${column.name}"`).join(", "));
  const values = sql.raw(columns.map(([key]) => `j.value ->> '$.${key}'`).join(", "));
  return sql`INSERT INTO ${table} (${names}) SELECT ${values} FROM json_each(${JSON.stringify(rows)}) AS j WHERE ${where ?? sql`true`} ${onConflict ?? sql`ON CONFLICT DO NOTHING`}`;
}

/** `RETURNING` (or select) list giving a table's rows under their TypeScript keys, so raw SQL reads back typed rows. */
export function columnsAs(table: SQLiteTable, qualifier: string): SQL {
  return sql.raw(
    Object.entries(getTableColumns(table))
      .map(([key, column]) => `${qualifier}."${column.name}" AS "${key}"`)
      .join(", "),
  );
}
