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
