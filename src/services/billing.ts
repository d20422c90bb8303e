import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { messages, type MessageRow } from "../db/schema";
import { encodeCursor, positionCursor } from "../lib/pagination";
import { ApiError } from "../lib/errors";
import { checkpoint } from "../lib/faults";
import { log } from "../lib/log";
import { meterFor } from "../meter/client";
import type { LedgerEntry } from "../meter/types";

type MeterEnv = Pick<Env, "METER">;

/** A charged message that failed, or was canceled, before any carrier accepted it: its price goes back. */
export function refundDue(row: Pick<MessageRow, "status" | "price" | "carrierMessageId" | "refundedAt">): boolean {
  return (row.status === "failed" || row.status === "canceled") && row.price > 0 && row.carrierMessageId === null && row.refundedAt === null;
}

const refundNote = (row: Pick<MessageRow, "status" | "errorCode">): string =>
  row.status === "canceled" ? "canceled before reaching a carrier" : `${row.errorCode ?? "failed"} before reaching a carrier`;

/**
 * Refunds a message if it is due one. Safe to call any number of times, from any path that sees the
 * message fail (the send consumer, its redeliveries, the dead-letter consumer, the sweeper): the meter
 * refunds a message at most once, and `refunded_at` is then set so the sweeper stops looking.
 */
export async function refundIfDue(env: MeterEnv, db: Db, row: MessageRow): Promise<boolean> {
  if (!refundDue(row)) return false;
  const entry = await meterFor(env, row.tenantId).refund(row.id, refundNote(row));
  await db
    .update(messages)
    .set({ refundedAt: Date.now() })
    .where(and(eq(messages.id, row.id), isNull(messages.refundedAt)));
  if (entry) log.info("message_refunded", { message_id: row.id, amount: entry.amount });
  return entry !== null;
}

type Refundable = Pick<MessageRow, "id" | "tenantId" | "status" | "errorCode" | "price" | "carrierMessageId" | "refundedAt">;

/**
 * Refunds the messages of a batch that are due one: one meter call per tenant and reason, then one D1
 * write for all. Each is refunded at most once (the meter keys refunds by message), so a redelivery or
 * the sweeper may call this again after a crash between the two.
 */
export async function refundMessages(env: MeterEnv, db: Db, rows: readonly Refundable[]): Promise<number> {
  const due = rows.filter(refundDue);
  if (due.length === 0) return 0;
  checkpoint("refund");
  const groups = new Map<string, { tenantId: string; note: string; ids: string[] }>();
  for (const row of due) {
    const note = refundNote(row);
    const key = `${row.tenantId}\n${note}`;
    const group = groups.get(key) ?? { tenantId: row.tenantId, note, ids: [] };
    group.ids.push(row.id);
    groups.set(key, group);
  }
  let amount = 0;
  for (const { tenantId, note, ids } of groups.values()) amount += await meterFor(env, tenantId).refundMany(ids, note);
  checkpoint("refund", "after");
  await db.run(sql`UPDATE messages SET refunded_at = ${Date.now()}
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(due.map((row) => row.id))})) AND refunded_at IS NULL`);
  if (amount > 0) log.info("messages_refunded", { count: due.length, amount });
  return amount;
}

/** Refunds canceled messages of one tenant together: one meter call, one write. Each is refunded at most once. */
export async function refundCanceled(env: MeterEnv, db: Db, tenantId: string, rows: Omit<Refundable, "tenantId" | "errorCode">[]): Promise<number> {
  return refundMessages(env, db, rows.map((row) => ({ ...row, tenantId, errorCode: null })));
}

/** Refunds that a crash left undone: failed or canceled, charged, never submitted, not refunded, older than `graceMs`. */
export async function sweepRefunds(env: MeterEnv, db: Db, now: number, graceMs = 60_000, limit = 100): Promise<number> {
  const due = await db
    .select()
    .from(messages)
    .where(
      and(
        // The partial index's own condition, word for word, so SQLite uses it.
        sql`status IN ('failed', 'canceled') AND price > 0 AND carrier_message_id IS NULL AND refunded_at IS NULL`,
        lt(messages.updatedAt, now - graceMs),
      ),
    )
    .orderBy(messages.updatedAt)
    .limit(limit);
  let refunded = 0;
  for (const row of due) if (await refundIfDue(env, db, row)) refunded += 1;
  if (refunded > 0) log.warn("swept_refunds", { count: refunded });
  return refunded;
}

/** Credits a tenant; with an idempotency key, a retried credit is answered, not applied again. */
export async function creditTenant(
  env: MeterEnv,
  tenantId: string,
  amount: number,
  note: string | null,
  idempotencyKey?: string,
): Promise<{ entry: LedgerEntry; replayed: boolean }> {
  const result = await meterFor(env, tenantId).credit(amount, note, idempotencyKey);
  if ("mismatch" in result) throw new ApiError("idempotency_mismatch", "This idempotency key was used for a credit of another amount.");
  return result;
}

/** A page of the tenant's ledger, newest first. The cursor names the last entry's position. */
export async function ledgerPage(env: MeterEnv, tenantId: string, limit: number, cursor?: string) {
  const before = cursor === undefined ? undefined : positionCursor(cursor);
  const rows = await meterFor(env, tenantId).ledger(limit, before);
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null };
}
