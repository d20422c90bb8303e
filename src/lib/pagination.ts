import { and, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "./errors";
import { z } from "@hono/zod-openapi";

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: "Page size, 1–100." }),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, "not a cursor returned by this API")
    .optional()
    .openapi({ description: "`next_cursor` from the previous page." }),
});

// Cursors are opaque to clients: base64url of the last id on the page.
export function encodeCursor(lastId: string): string {
  return btoa(lastId).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

export function decodeCursor(cursor: string): string | null {
  try {
    return atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}

/** Fetch `limit + 1` rows; this trims the extra one and says where the next page starts. */
export function page<T extends { id: string }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

/** The error for a cursor this API did not hand out. */
export function invalidCursor(): ApiError {
  return new ApiError("validation_failed", "The cursor is not one this API returned.", {
    errors: [{ path: "query.cursor", message: "not a cursor returned by this API" }],
  });
}

/** For newest-first lists by id: the rows before the cursor's id. A cursor this API did not hand out is 422. */
export function idBefore(column: SQLiteColumn, cursor: string): SQL {
  const after = decodeCursor(cursor);
  if (!after) throw invalidCursor();
  return lt(column, after);
}

/** A cursor that names a position (a ledger sequence, a recipient index): a whole number, else 422. */
export function positionCursor(cursor: string): number {
  const position = Number(decodeCursor(cursor));
  if (!Number.isSafeInteger(position) || position < 0) throw invalidCursor();
  return position;
}

/** For lists in ascending (time, id) order, such as review queues: the position after `row`. */
export function encodeTimeCursor(row: { updatedAt: number; id: string }): string {
  return encodeCursor(`${row.updatedAt}.${row.id}`);
}

export function decodeTimeCursor(cursor: string): { at: number; id: string } {
  const [at, id] = (decodeCursor(cursor) ?? "").split(".");
  if (!id || !Number.isSafeInteger(Number(at))) throw invalidCursor();
  return { at: Number(at), id };
}

/** The rows after a time cursor, for a list ordered by (time, id) ascending. */
export function afterTimeCursor(columns: { at: SQLiteColumn; id: SQLiteColumn }, cursor: string): SQL | undefined {
  const { at, id } = decodeTimeCursor(cursor);
  return or(gt(columns.at, at), and(eq(columns.at, at), gt(columns.id, id)));
}

/** `page` for (time, id) lists. */
export function timePage<T extends { updatedAt: number; id: string }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? encodeTimeCursor(last) : null };
}

/** Lists ordered by number (block and allow lists): the number a page ended on, from its cursor. */
export function afterNumber(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const number = decodeCursor(cursor);
  if (!number) throw invalidCursor();
  return number;
}

/** A page of a list ordered by number, its cursor made from the last number. */
export const numberPage = <T>(data: T[], next: string | null) => ({ data, next_cursor: next && encodeCursor(next) });
