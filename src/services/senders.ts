import { and, asc, desc, eq, isNull, ne, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { senders, tenants, type SenderRow } from "../db/schema";
import type { KeyMode } from "../domain/api-key";
import { findBlocked } from "../domain/content-policy";
import { normalizeSenderValue, senderFormatError, type SenderKind } from "../domain/senders";
import type { TemplateStatus } from "../domain/templates";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { afterTimeCursor, idBefore } from "../lib/pagination";
import { TtlCache } from "../lib/ttl-cache";
import { screeningFor } from "./content-policies";

/** A sender as sends use it, cached per isolate like templates. */
export type UsableSender = Pick<SenderRow, "id" | "kind" | "value" | "status">;

export const SENDER_CACHE_MS = 60_000;
// Per tenant: its non-rejected senders and its default, read together.
const cache = new TtlCache<{ senders: UsableSender[]; defaultId: string | null }>(SENDER_CACHE_MS);

const live = (tenantId: string) => and(eq(senders.tenantId, tenantId), isNull(senders.deletedAt));

export async function createSender(db: Db, control: Db, tenantId: string, input: { value: string; kind: SenderKind }): Promise<SenderRow> {
  const formatError = senderFormatError(input.value, input.kind);
  if (formatError) throw new ApiError("validation_failed", "The sender is not valid.", { errors: [{ path: "body.value", message: formatError }] });
  const existing = await db.query.senders.findFirst({
    where: and(live(tenantId), eq(senders.kind, input.kind), eq(senders.value, input.value), ne(senders.status, "rejected")),
  });
  if (existing) throw new ApiError("already_exists", `This sender is already registered as ${existing.id}.`, { extra: { id: existing.id } });

  const { rules } = await screeningFor(control, tenantId);
  const hit = findBlocked(input.value, rules);
  const now = Date.now();
  const row: SenderRow = {
    id: newId("sender", now),
    tenantId,
    kind: input.kind,
    value: input.value,
    status: hit ? "rejected" : "pending_review",
    reasons: hit ? [`blocked content: ${hit.label} (${hit.id})`] : null,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  await db.insert(senders).values(row);
  cache.delete(tenantId);
  return row;
}

export async function getSender(db: Db, tenantId: string, id: string): Promise<SenderRow> {
  const row = await db.query.senders.findFirst({ where: and(live(tenantId), eq(senders.id, id)) });
  if (!row) throw new ApiError("not_found", `No sender ${id}.`);
  return row;
}

export async function listSenders(
  db: Db,
  tenantId: string,
  filter: { status?: TemplateStatus; kind?: SenderKind; limit: number; cursor?: string },
): Promise<SenderRow[]> {
  const conditions: (SQL | undefined)[] = [live(tenantId)];
  if (filter.status) conditions.push(eq(senders.status, filter.status));
  if (filter.kind) conditions.push(eq(senders.kind, filter.kind));
  if (filter.cursor) conditions.push(idBefore(senders.id, filter.cursor));
  return db.select().from(senders).where(and(...conditions)).orderBy(desc(senders.id)).limit(filter.limit + 1);
}

/** Deletes the sender; if it was the default, the tenant has none (a deleted default is never used either way). */
export async function deleteSender(db: Db, control: Db, tenantId: string, id: string): Promise<void> {
  await getSender(db, tenantId, id);
  await db.update(senders).set({ deletedAt: Date.now() }).where(eq(senders.id, id));
  cache.delete(tenantId);
  await control.update(tenants).set({ defaultSenderId: null }).where(and(eq(tenants.id, tenantId), eq(tenants.defaultSenderId, id)));
}

/** The sender used when a message names none. It must not be rejected. */
export async function setDefaultSender(db: Db, control: Db, tenantId: string, id: string): Promise<SenderRow> {
  const sender = await getSender(db, tenantId, id);
  if (sender.status === "rejected") throw new ApiError("sender_not_approved", `Sender ${id} was rejected; it cannot be the default.`);
  await control.update(tenants).set({ defaultSenderId: id }).where(eq(tenants.id, tenantId));
  cache.delete(tenantId);
  return sender;
}

/** The tenant's default sender, kept on its row in the control database. */
export async function defaultSenderId(control: Db, tenantId: string): Promise<string | null> {
  const tenant = await control.query.tenants.findFirst({ columns: { defaultSenderId: true }, where: eq(tenants.id, tenantId) });
  return tenant?.defaultSenderId ?? null;
}

/** An operator's decision on a sender waiting for review; conditional, like templates. */
export async function reviewSender(db: Db, id: string, decision: { approve: true } | { approve: false; reason: string }): Promise<SenderRow> {
  const [row] = await db
    .update(senders)
    .set({ status: decision.approve ? "approved" : "rejected", reasons: decision.approve ? null : [decision.reason], updatedAt: Date.now() })
    .where(and(eq(senders.id, id), isNull(senders.deletedAt), eq(senders.status, "pending_review")))
    .returning();
  if (row) {
    cache.delete(row.tenantId);
    return row;
  }
  const existing = await db.query.senders.findFirst({ where: and(eq(senders.id, id), isNull(senders.deletedAt)) });
  if (!existing) throw new ApiError("not_found", `No sender ${id}.`);
  throw new ApiError("review_not_pending", `Sender ${id} is ${existing.status}, not waiting for review.`);
}

export async function senderReviewQueue(
  db: Db,
  filter: { status?: TemplateStatus; limit: number; cursor?: string },
): Promise<SenderRow[]> {
  const conditions: (SQL | undefined)[] = [isNull(senders.deletedAt)];
  if (filter.status) conditions.push(eq(senders.status, filter.status));
  if (filter.cursor) conditions.push(afterTimeCursor({ at: senders.updatedAt, id: senders.id }, filter.cursor));
  return db.select().from(senders).where(and(...conditions)).orderBy(asc(senders.updatedAt), asc(senders.id)).limit(filter.limit + 1);
}

/**
 * The sender of a message: the one `from` names, else the tenant's default, else none. Live keys need
 * an approved sender; test keys may use one still waiting for review.
 */
export async function resolveSender(db: Db, control: Db, tenantId: string, from: string | undefined, mode: KeyMode): Promise<UsableSender | null> {
  const known = await cache.getOrLoad(tenantId, async () => {
    const [rows, defaultId] = await Promise.all([
      db
        .select({ id: senders.id, kind: senders.kind, value: senders.value, status: senders.status })
        .from(senders)
        .where(and(live(tenantId), ne(senders.status, "rejected"))),
      defaultSenderId(control, tenantId),
    ]);
    return { senders: rows, defaultId };
  });
  const usable = (s: UsableSender) => s.status === "approved" || (mode === "test" && s.status === "pending_review");
  if (from === undefined) {
    const fallback = known.senders.find((s) => s.id === known.defaultId);
    return fallback && usable(fallback) ? fallback : null;
  }
  const value = normalizeSenderValue(from);
  const sender = known.senders.find((s) => s.value === value && usable(s));
  if (!sender) {
    throw new ApiError(
      "sender_not_approved",
      `"${from}" is not ${mode === "live" ? "an approved" : "a registered"} sender of yours; register it with POST /v1/senders.`,
    );
  }
  return sender;
}

/** The tenant's sender with this value (a signature as `阿里云` or `【阿里云】`), or not found. */
export async function findSenderByValue(db: Db, tenantId: string, value: string): Promise<SenderRow> {
  const row = await db.query.senders.findFirst({ where: and(live(tenantId), eq(senders.value, normalizeSenderValue(value))) });
  if (!row) throw new ApiError("not_found", `No sender ${value}.`);
  return row;
}
