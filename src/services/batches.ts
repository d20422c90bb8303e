import { and, asc, desc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { controlDb } from "../db/shards";
import { insertJsonRows } from "../db/json-rows";
import { chunksByBytes } from "../lib/chunks";
import { runBatch } from "../db/statements";
import { batches, batchItems, batchRejects, messages, type BatchRejectRow, type BatchRow, type MessageRow } from "../db/schema";
import { CANCELABLE_BATCH_STATUSES, hasUnsubmitted, type BatchStatus, type StatusCounts } from "../domain/batches";
import { MESSAGE_STATUSES, type MessageStatus, type MessageType } from "../domain/message-status";
import { ApiError, ERRORS, type ErrorCode } from "../lib/errors";
import { fingerprint } from "../lib/fingerprint";
import { sealBatch } from "./message-data";
import { newId } from "../lib/ids";
import { IDEMPOTENCY_TTL_MS } from "../meter/tenant-meter";
import { log } from "../lib/log";
import { idBefore, positionCursor } from "../lib/pagination";
import { enqueueBatchStep } from "../queues/jobs";
import type { AuthContext, Owner } from "../types";
import { prepareRecipient } from "./batch-recipients";
import { cancelStep } from "./batch-work";
import { loadComposition } from "./composition";
import { assertLiveSending, listMessages } from "./messages";
import { requireGroup } from "./contacts";
import { parseSendAt } from "./scheduling";
import { checkpoint } from "../lib/faults";
import type { CompatApi } from "../domain/compat/apis";

export interface BatchInput {
  name?: string;
  type: MessageType;
  template_id?: string;
  body?: string;
  from?: string;
  recipients?: { to: string; params?: Record<string, string> }[];
  group_id?: string;
  send_at?: string;
  country?: string;
  /** Set by a compatible API: every message's reference, and where (in which shape) their statuses are posted. */
  compat?: { format: CompatApi; credentialId: string; callbackUrl: string | null; reference: string | null };
}

/** Rejects shown with a batch; all of them page through GET /v1/batches/{id}/rejects. */
export const REJECTS_SHOWN = 100;
/** Items written per statement: they travel as one JSON parameter, kept well under D1's 2 MB a value. */
const ITEM_CHUNK_BYTES = 512 * 1024;

export type BatchView = BatchRow & { counts: StatusCounts | null; rejects: BatchRejectRow[] };

/** A reference in the body that names nothing of the tenant's: the request is refused, 422 at the field. */
function unknownReference(error: unknown, path: string): never {
  if (error instanceof ApiError && error.code === "not_found") {
    throw new ApiError("validation_failed", error.message, { errors: [{ path, message: error.message }] });
  }
  throw error;
}

/**
 * Records a batch and answers at once. A list's recipients are checked here, each on its own (number,
 * params, content, length, duplicates), and the ones that pass are stored for expansion; a group is only
 * looked up, so the time taken does not grow with its size. Expansion into messages, and everything
 * metered (block list, caps, balance, quota), happens in the batch queue, chunk by chunk.
 */
export async function createBatch(
  env: BatchCreateEnv,
  db: Db,
  auth: AuthContext,
  input: BatchInput,
  idempotencyKey?: string,
): Promise<{ batch: BatchView; replayed: boolean }> {
  assertLiveSending(env, auth.mode);
  const now = Date.now();
  const key = idempotencyKey === undefined ? null : `${auth.mode}:${idempotencyKey}`;
  const requestHash = key === null ? null : await fingerprint(input);
  if (key !== null) {
    const earlier = await replayOf(db, auth, key, requestHash!, now);
    if (earlier) return { batch: earlier, replayed: true };
  }
  const prepared = await prepareBatch(env, db, auth, input, now, { key, requestHash });
  try {
    await runBatch(db, prepared.statements);
  } catch (error) {
    // The same key at the same moment: the other request made the batch; this one answers it.
    const earlier = key === null ? null : await replayOf(db, auth, key, requestHash!, now).catch(() => null);
    if (earlier) return { batch: earlier, replayed: true };
    throw error;
  }
  if (prepared.batch.status === "expanding") await queueBatchStep(env, prepared.batch.id);
  return { batch: prepared.batch, replayed: false };
}

/**
 * Several batches (no idempotency keys) written in one D1 transaction, so a failure leaves none of them and a
 * retry sends nothing twice: the compatible APIs' many-recipient sends (Alibaba's, one batch per sign). Those
 * APIs answer for the request as a whole, so a recipient refused here refuses it (a repeated number is sent once).
 */
export async function createBatches(env: BatchCreateEnv, db: Db, auth: AuthContext, inputs: readonly BatchInput[]): Promise<BatchView[]> {
  assertLiveSending(env, auth.mode);
  const now = Date.now();
  const prepared: Awaited<ReturnType<typeof prepareBatch>>[] = [];
  for (const input of inputs) prepared.push(await prepareBatch(env, db, auth, input, now, { key: null, requestHash: null }));
  const refused = prepared.flatMap((p) => p.batch.rejects).find((reject) => reject.code !== "duplicate_recipient");
  if (refused) throw rejectError(refused);
  checkpoint("batch_create");
  await runBatch(db, prepared.flatMap((p) => p.statements));
  checkpoint("batch_create", "after");
  for (const { batch } of prepared) if (batch.status === "expanding") await queueBatchStep(env, batch.id);
  return prepared.map((p) => p.batch);
}

/** A recipient's reject as the error a single send would have answered. */
function rejectError(reject: BatchRejectRow): ApiError {
  if (reject.code === "invalid_params") {
    return new ApiError("validation_failed", `Recipient ${reject.idx}: ${reject.detail}`, { errors: [{ path: `body.recipients.${reject.idx}.params`, message: reject.detail }] });
  }
  // The other reject codes are the send's own error codes (invalid_number, content_blocked, body_too_long, …).
  const code = reject.code in ERRORS ? (reject.code as ErrorCode) : "validation_failed";
  return new ApiError(code, `Recipient ${reject.idx} (${reject.to}): ${reject.detail}`);
}

type BatchCreateEnv = Pick<Env, "DB" | "BATCH_QUEUE" | "ENVIRONMENT" | "LIVE_CARRIER" | "PUBLIC_BASE_URL" | "DATA_ENCRYPTION_KEY">;

/** A batch's row, checked recipients and rejects, and the statements that write them. */
async function prepareBatch(
  env: BatchCreateEnv,
  db: Db,
  auth: AuthContext,
  input: BatchInput,
  now: number,
  { key, requestHash }: { key: string | null; requestHash: string | null },
) {
  const sendAt = parseSendAt(input.send_at, now);
  const context = await loadComposition(db, controlDb(env), auth, input).catch((error) => unknownReference(error, "body.template_id"));
  if (context.template && context.template.type !== input.type) {
    throw new ApiError("validation_failed", "The type differs from the template's.", {
      errors: [{ path: "body.type", message: `the template is ${context.template.type}` }],
    });
  }
  if (input.group_id) await requireGroup(db, auth.tenantId, input.group_id).catch((error) => unknownReference(error, "body.group_id"));

  const id = newId("batch", now);
  const items: { batchId: string; idx: number; to: string; params: string | null }[] = [];
  const rejects: BatchRejectRow[] = [];
  const seen = new Map<string, number>();
  for (const [idx, recipient] of (input.recipients ?? []).entries()) {
    const prepared = prepareRecipient(context, { type: input.type, body: input.body ?? null }, recipient, input.country);
    const reject = (code: BatchRejectRow["code"], detail: string) => rejects.push({ batchId: id, idx, to: recipient.to, contactId: null, code, detail });
    if (!prepared.ok) reject(prepared.code, prepared.detail);
    else if (seen.has(prepared.to)) reject("duplicate_recipient", `${prepared.to} is also recipient ${seen.get(prepared.to)}; it is sent once.`);
    else {
      seen.set(prepared.to, idx);
      items.push({ batchId: id, idx, to: prepared.to, params: recipient.params ? JSON.stringify(recipient.params) : null });
    }
  }

  const nothingToExpand = !input.group_id && items.length === 0;
  const status: BatchStatus = nothingToExpand ? "completed" : sendAt !== null ? "scheduled" : "expanding";
  const row: BatchRow = {
    id,
    tenantId: auth.tenantId,
    mode: auth.mode,
    name: input.name ?? null,
    type: input.type,
    templateId: input.template_id ?? null,
    body: input.body ?? null,
    from: input.from ?? null,
    groupId: input.group_id ?? null,
    status,
    total: input.recipients ? input.recipients.length : null,
    accepted: 0,
    rejected: rejects.length,
    position: 0,
    cursor: null,
    sendAt,
    stopCode: null,
    stopDetail: null,
    createdAt: now,
    updatedAt: now,
    completedAt: status === "completed" ? now : null,
    canceledAt: null,
    drainedAt: null,
    idempotencyKey: key,
    requestHash,
    callbackUrl: input.compat?.callbackUrl ?? null,
    callbackFormat: input.compat?.format ?? null,
    credentialId: input.compat?.credentialId ?? null,
    reference: input.compat?.reference ?? null,
  };
  // The body and each recipient's params (one-time codes, names) are sealed under the tenant's key, as message bodies are.
  const sealed = await sealBatch(env.DATA_ENCRYPTION_KEY, auth.tenantId, row, items);
  const statements = [
    db.insert(batches).values(sealed.row),
    ...chunksByBytes(sealed.items, ITEM_CHUNK_BYTES).map((chunk) => insertJsonRows(batchItems, chunk)),
    ...chunksByBytes(rejects, ITEM_CHUNK_BYTES).map((chunk) => insertJsonRows(batchRejects, chunk)),
  ];
  return { batch: { ...row, counts: null, rejects } as BatchView, statements };
}

/**
 * The batch an earlier request with this key made in the last 24 hours: answered again if the body is
 * the same, 422 if not. A key older than that is released for a new batch.
 */
async function replayOf(db: Db, owner: Owner, key: string, requestHash: string, now: number): Promise<BatchView | null> {
  const earlier = await db.query.batches.findFirst({ where: and(eq(batches.tenantId, owner.tenantId), eq(batches.idempotencyKey, key)) });
  if (!earlier) return null;
  if (earlier.createdAt <= now - IDEMPOTENCY_TTL_MS) {
    await db.update(batches).set({ idempotencyKey: null }).where(and(eq(batches.id, earlier.id), eq(batches.idempotencyKey, key)));
    return null;
  }
  if (earlier.requestHash !== requestHash) {
    throw new ApiError("idempotency_mismatch", "This idempotency key was used with a different batch in the last 24 hours.");
  }
  return getBatch(db, owner, earlier.id);
}

/** Hands a batch's next step to the batch queue; if that fails, the cron's batch sweep does it a few minutes later. */
export async function queueBatchStep(env: Pick<Env, "BATCH_QUEUE">, id: string, position = 0): Promise<void> {
  try {
    await enqueueBatchStep(env.BATCH_QUEUE, id, position);
  } catch (error) {
    log.warn("enqueue_failed", { batch_id: id, error: String(error) });
  }
}

/** One of an owner's batches: its tenant's, made with a key of its mode. */
async function findBatch(db: Db, owner: Owner, id: string): Promise<BatchRow> {
  const row = await db.query.batches.findFirst({ where: and(eq(batches.id, id), eq(batches.tenantId, owner.tenantId), eq(batches.mode, owner.mode)) });
  if (!row) throw new ApiError("not_found", `No batch ${id}.`);
  return row;
}

/** Messages per status, counted from the outbox as it is now (one index range read). */
async function statusCounts(db: Db, batchId: string): Promise<StatusCounts> {
  const rows = await db
    .select({ status: messages.status, n: sql<number>`COUNT(*)` })
    .from(messages)
    .where(eq(messages.batchId, batchId))
    .groupBy(messages.status);
  const counts = Object.fromEntries(MESSAGE_STATUSES.map((status) => [status, 0])) as StatusCounts;
  for (const { status, n } of rows) counts[status] = n;
  return counts;
}

/**
 * A batch with its live counters per status and its first rejects. A `sending` batch whose counters
 * show nothing left to submit is recorded `completed` here (conditionally), not a cron minute later.
 */
export async function getBatch(db: Db, owner: Owner, id: string): Promise<BatchView> {
  let row = await findBatch(db, owner, id);
  const [counts, rejects] = await Promise.all([
    statusCounts(db, id),
    db.select().from(batchRejects).where(eq(batchRejects.batchId, id)).orderBy(asc(batchRejects.idx)).limit(REJECTS_SHOWN),
  ]);
  if (row.status === "sending" && !hasUnsubmitted(counts)) {
    const now = Date.now();
    const [completed] = await db
      .update(batches)
      .set({ status: "completed", completedAt: now, updatedAt: now })
      .where(and(eq(batches.id, id), eq(batches.status, "sending")))
      .returning();
    row = completed ?? (await findBatch(db, owner, id));
  }
  return { ...row, counts, rejects };
}

export async function listBatches(db: Db, owner: Owner, filter: { status?: BatchStatus; limit: number; cursor?: string }): Promise<BatchRow[]> {
  const conditions: SQL[] = [eq(batches.tenantId, owner.tenantId), eq(batches.mode, owner.mode)];
  if (filter.status) conditions.push(eq(batches.status, filter.status));
  if (filter.cursor) conditions.push(idBefore(batches.id, filter.cursor));
  return db.select().from(batches).where(and(...conditions)).orderBy(desc(batches.id)).limit(filter.limit + 1);
}

export async function listBatchMessages(
  secret: string | undefined,
  db: Db,
  owner: Owner,
  id: string,
  filter: { status?: MessageStatus; limit: number; cursor?: string },
): Promise<MessageRow[]> {
  await findBatch(db, owner, id);
  return listMessages(secret, db, owner, { ...filter, batchId: id });
}

/** The batch's rejects in recipient order; the cursor is the last index seen. */
export async function listBatchRejects(db: Db, owner: Owner, id: string, limit: number, cursor?: string): Promise<BatchRejectRow[]> {
  await findBatch(db, owner, id);
  const after = cursor === undefined ? -1 : positionCursor(cursor);
  return db
    .select()
    .from(batchRejects)
    .where(and(eq(batchRejects.batchId, id), gt(batchRejects.idx, after)))
    .orderBy(asc(batchRejects.idx))
    .limit(limit + 1);
}

/**
 * Cancels a batch: expansion stops, and every message of it no carrier has yet is canceled and refunded
 * (the first chunk now, the rest in the batch queue). Canceling a canceled batch answers it again; a
 * completed one has nothing left to stop (409).
 */
export async function cancelBatch(env: Pick<Env, "METER" | "BATCH_QUEUE">, db: Db, owner: Owner, id: string): Promise<BatchView> {
  const batch = await findBatch(db, owner, id);
  if (batch.status !== "canceled") {
    const now = Date.now();
    const [canceled] = await db
      .update(batches)
      .set({ status: "canceled", canceledAt: now, updatedAt: now })
      .where(and(eq(batches.id, id), inArray(batches.status, CANCELABLE_BATCH_STATUSES)))
      .returning();
    if (!canceled) {
      const current = await findBatch(db, owner, id);
      if (current.status !== "canceled") {
        throw new ApiError("not_cancelable", `Batch ${id} is ${current.status}: every message of it has reached a carrier.`, {
          extra: { batch_status: current.status },
        });
      }
    } else if (await cancelStep(env, db, canceled)) {
      await queueBatchStep(env, id);
    }
  }
  return getBatch(db, owner, id);
}
