import { newMessageRow } from "./messages";
import { and, eq, isNull, sql } from "drizzle-orm";
import { carrierNameFor } from "../carriers/registry";
import type { Db } from "../db/client";
import { controlDb } from "../db/shards";
import { runBatch } from "../db/statements";
import { insertJsonRows } from "../db/json-rows";
import { batches, batchRejects, messageEvents, messages, tenants, type BatchRejectRow, type BatchRow, type MessageEventRow, type MessageRow } from "../db/schema";
import type { RecipientRejectCode } from "../domain/batches";
import { timingOf } from "../domain/schedule";
import { ApiError } from "../lib/errors";
import { chunks } from "../lib/chunks";
import { checkpoint } from "../lib/faults";
import { batchMessageId } from "../lib/ids";
import { log } from "../lib/log";
import { meterFor } from "../meter/client";
import { refusalError } from "../meter/refusals";
import type { BatchAdmitItem } from "../meter/types";
import { enqueueBatchStep, enqueueSends, type BatchJob } from "../queues/jobs";
import type { AuthContext } from "../types";
import { paramsFor, prepareRecipient, type PreparedRecipient } from "./batch-recipients";
import { refundCanceled } from "./billing";
import { loadComposition, type CompositionContext } from "./composition";
import { unitPrice } from "./prices";
import { quietHoursOf } from "./scheduling";
import { openBatchBody, openParams, sealMessages } from "./message-data";

/**
 * Recipients expanded per job, and messages canceled per job: each job's work stays the same size. A job's
 * fixed cost (its reads, the meter call, the write, the next job) is shared by 1,000 messages.
 */
export const EXPANSION_CHUNK = 1000;
/** Rows per INSERT: a statement's JSON parameter stays well under D1's 2 MB, even for 10-segment bodies. */
const ROWS_PER_INSERT = 250;
export const CANCEL_CHUNK = 500;
/** A paced batch looks again at least this often, so a stalled chain is told from a waiting one. */
const MAX_PACING_DELAY_S = 60;

type BatchEnv = Pick<Env, "DB" | "METER" | "SEND_QUEUE" | "BATCH_QUEUE" | "LIVE_CARRIER" | "BILLING_CURRENCY" | "DATA_ENCRYPTION_KEY">;

/** One recipient read from the batch's source, with its place in the batch. */
interface SourceRecipient {
  idx: number;
  to: string;
  params: Record<string, string> | null;
  contactId: string | null;
  /** The source key to continue after: the list index, or the contact id. */
  key: string;
}

/** The next recipients after the batch's cursor: from its list, or from its group as it was when the batch was made. */
async function readSource(secret: string | undefined, db: Db, batch: BatchRow, placeholders: readonly string[] | null): Promise<SourceRecipient[]> {
  if (batch.groupId === null) {
    const rows = await db.all<{ idx: number; to: string; params: string | null }>(sql`
      SELECT idx, "to", params FROM batch_items WHERE batch_id = ${batch.id} AND idx > ${Number(batch.cursor ?? -1)}
      ORDER BY idx LIMIT ${EXPANSION_CHUNK}`);
    // Sealed params (or, from before sealing, their JSON as it was) opened for rendering.
    return Promise.all(
      rows.map(async (r) => ({ idx: r.idx, to: r.to, params: await openParams(secret, batch.tenantId, r.params), contactId: null, key: String(r.idx) })),
    );
  }
  const rows = await db.all<{ id: string; phone: string; attributes: string }>(sql`
    SELECT c.id, c.phone, c.attributes FROM group_members AS gm JOIN contacts AS c ON c.id = gm.contact_id
    WHERE gm.group_id = ${batch.groupId} AND gm.contact_id > ${batch.cursor ?? ""} AND gm.created_at <= ${batch.createdAt}
    ORDER BY gm.contact_id LIMIT ${EXPANSION_CHUNK}`);
  return rows.map((r, i) => ({
    idx: batch.position + i,
    to: r.phone,
    params: paramsFor(JSON.parse(r.attributes), placeholders),
    contactId: r.id,
    key: r.id,
  }));
}

async function groupSize(db: Db, batch: BatchRow): Promise<number> {
  const [row] = await db.all<{ n: number }>(sql`
    SELECT COUNT(*) AS n FROM group_members WHERE group_id = ${batch.groupId} AND created_at <= ${batch.createdAt}`);
  return row?.n ?? 0;
}

/**
 * Expands the batch's next chunk into messages. The chunk's recipients are composed and screened,
 * then admitted by the tenant's meter in one call (balance and quota reserved for exactly those), then
 * written, with the rejects and the batch's new position, in one D1 transaction that applies only if
 * the batch is still expanding at the position this job started from. A redelivered job names the same
 * message ids, so the meter counts them once and the outbox stores them once; a stale one changes nothing.
 * Returns the job to run next, if any.
 */
export async function expandStep(env: BatchEnv, db: Db, batch: BatchRow, job: BatchJob): Promise<{ position: number; delaySeconds: number } | null> {
  const control = controlDb(env);
  const tenant = await control.query.tenants.findFirst({ where: eq(tenants.id, batch.tenantId) });
  if (!tenant) return null;
  const auth: AuthContext = { tenantId: tenant.id, shard: tenant.shard, keyId: "batch", mode: batch.mode, metered: tenant.metered, sandbox: tenant.sandbox };
  const total = batch.total ?? (await groupSize(db, batch));
  let context: CompositionContext;
  try {
    context = await loadComposition(db, control, auth, { template_id: batch.templateId ?? undefined, from: batch.from ?? undefined });
  } catch (error) {
    // The template or sender went away (or lost its approval) since the batch was made: no recipient
    // left can be sent, so the batch ends here, the rest rejected with the reason, rather than retrying forever.
    if (!(error instanceof ApiError)) throw error;
    await stopExpansion(db, batch, total, error);
    return null;
  }
  const source = await readSource(env.DATA_ENCRYPTION_KEY, db, batch, context.template?.placeholders ?? null);

  const prepared = source.map((recipient) => ({ recipient, result: prepareRecipient(context, batch, recipient) }));
  const ids = new Map(prepared.map(({ recipient }) => [recipient.idx, batchMessageId(batch.id, recipient.idx, job.at)]));
  const admitItems: BatchAdmitItem[] = [];
  for (const { recipient, result } of prepared) {
    if (!result.ok) continue;
    const price = batch.mode === "live" && tenant.metered ? (await unitPrice(control, result.country)) * result.segments : 0;
    admitItems.push({ messageId: ids.get(recipient.idx)!, recipient: result.to, segments: result.segments, price });
  }
  const verdict = await meterFor(env, batch.tenantId).admitBatch({
    tenantId: batch.tenantId,
    type: batch.type,
    exempt: !tenant.metered,
    sandbox: batch.mode === "live" && tenant.sandbox,
    items: admitItems,
  });

  // Walk the chunk in order: everything before the first recipient the meter did not get to is settled.
  const now = Date.now();
  const timing = timingFor(batch.type, quietHoursOf(tenant.quietHours), now);
  const rows: MessageRow[] = [];
  const events: MessageEventRow[] = [];
  const rejects: BatchRejectRow[] = [];
  const reject = (recipient: SourceRecipient, code: RecipientRejectCode, detail: string) =>
    rejects.push({ batchId: batch.id, idx: recipient.idx, to: recipient.to, contactId: recipient.contactId, code, detail });
  let examined = 0;
  let consumed = 0;
  let cursor = batch.cursor;
  for (const { recipient, result } of prepared) {
    if (!result.ok) {
      reject(recipient, result.code, result.detail);
    } else {
      const answer = verdict.verdicts[examined];
      if (!answer) break;
      const item = admitItems[examined]!;
      examined += 1;
      if (!answer.admitted) {
        reject(recipient, answer.refusal.code as RecipientRejectCode, refusalError(answer.refusal, [], env.BILLING_CURRENCY).message);
      } else {
        const when = timing(result.country);
        const row = messageRow(env, batch, result, item, when.sendAt, now);
        rows.push(row);
        events.push({ messageId: row.id, seq: 1, status: row.status, at: now, detail: when.detail ?? `batch ${batch.id}`, receiptId: null });
      }
    }
    consumed += 1;
    cursor = recipient.key;
  }

  const stop = verdict.halt?.kind === "stopped" ? refusalError(verdict.halt.refusal, [], env.BILLING_CURRENCY) : null;
  const finished = stop !== null || (source.length < EXPANSION_CHUNK && consumed === source.length);
  const accepted = batch.accepted + rows.length;
  // Stopped: every recipient not yet read is rejected with the batch's reason, so the counts add up to the total.
  const rejected = stop ? total - accepted : batch.rejected + rejects.length;
  const status = !finished ? "expanding" : accepted > 0 ? "sending" : "completed";
  const at = batch.position;
  const gate = sql`EXISTS (SELECT 1 FROM batches WHERE id = ${batch.id} AND status = 'expanding' AND position = ${at})`;
  const sealed = await sealMessages(env.DATA_ENCRYPTION_KEY, batch.tenantId, rows);
  const gated = [
    ...chunks(sealed, ROWS_PER_INSERT).map((part) => insertJsonRows(messages, part, gate)),
    ...chunks(events, ROWS_PER_INSERT).map((part) => insertJsonRows(messageEvents, part, gate)),
    ...(rejects.length ? [insertJsonRows(batchRejects, rejects, gate)] : []),
  ];
  // The gate is read by the inserts before the update moves the position: a batch's statements run in order.
  const update = db
    .update(batches)
    .set({
      position: batch.position + consumed,
      cursor,
      accepted,
      rejected,
      total: finished ? accepted + rejected : total,
      status,
      stopCode: stop?.code ?? null,
      stopDetail: stop?.message ?? null,
      updatedAt: now,
      completedAt: status === "completed" ? now : null,
    })
    .where(and(eq(batches.id, batch.id), eq(batches.status, "expanding"), eq(batches.position, at)))
    .returning({ id: batches.id });
  checkpoint("batch_expansion");
  const results = await runBatch(db, [...gated, update]);
  checkpoint("batch_expansion", "after");
  const updated = results.at(-1)!;
  if (updated.length === 0) {
    // Canceled, or another job got here first. What the meter admitted for this chunk is not in the
    // outbox, so the meter's reconciliation gives it back within minutes.
    log.info("batch_step_stale", { batch_id: batch.id, position: at });
    return null;
  }
  const queued = rows.filter((row) => row.status === "queued").map((row) => row.id);
  try {
    await enqueueSends(env.SEND_QUEUE, queued);
  } catch (error) {
    log.warn("enqueue_failed", { batch_id: batch.id, count: queued.length, error: String(error) });
  }
  if (finished) {
    log.info("batch_expanded", { batch_id: batch.id, accepted, rejected, stop: stop?.code ?? null });
    return null;
  }
  const paced = verdict.halt?.kind === "paced" ? Math.min(MAX_PACING_DELAY_S, verdict.halt.retryAfter) : 0;
  return { position: batch.position + consumed, delaySeconds: paced };
}

/** Ends expansion early for a reason that holds for every recipient left: they are all rejected with it. */
async function stopExpansion(db: Db, batch: BatchRow, total: number, reason: ApiError): Promise<void> {
  const now = Date.now();
  await db
    .update(batches)
    .set({
      status: batch.accepted > 0 ? "sending" : "completed",
      total,
      rejected: total - batch.accepted,
      stopCode: reason.code,
      stopDetail: reason.message,
      updatedAt: now,
      completedAt: batch.accepted > 0 ? null : now,
    })
    .where(and(eq(batches.id, batch.id), eq(batches.status, "expanding"), eq(batches.position, batch.position)));
  log.warn("batch_stopped", { batch_id: batch.id, code: reason.code });
}

/** When a batch message of this type goes, per destination country: computed once per country a chunk. */
function timingFor(type: BatchRow["type"], quietHours: ReturnType<typeof quietHoursOf>, now: number) {
  const byCountry = new Map<string | null, ReturnType<typeof timingOf>>();
  return (country: string | null) => {
    let timing = byCountry.get(country);
    if (!timing) byCountry.set(country, (timing = timingOf({ type, country }, null, now, quietHours)));
    return timing;
  };
}

function messageRow(
  env: BatchEnv,
  batch: BatchRow,
  prepared: Extract<PreparedRecipient, { ok: true }>,
  item: BatchAdmitItem,
  sendAt: number | null,
  now: number,
): MessageRow {
  return newMessageRow(
    {
      id: item.messageId,
      tenantId: batch.tenantId,
      mode: batch.mode,
      to: prepared.to,
      country: prepared.country,
      from: prepared.composed.from,
      type: prepared.composed.type,
      body: prepared.composed.body,
      encoding: prepared.encoding,
      segments: prepared.segments,
      carrier: carrierNameFor(batch.mode, env),
      reference: batch.reference,
      templateId: prepared.composed.templateId,
      templateVersion: prepared.composed.templateVersion,
      price: item.price,
      currency: env.BILLING_CURRENCY,
      sendAt,
      batchId: batch.id,
      callbackUrl: batch.callbackUrl,
      callbackFormat: batch.callbackFormat,
      credentialId: batch.credentialId,
    },
    now,
  );
}

/**
 * Cancels the next chunk of a canceled batch's messages that no carrier has yet (scheduled or queued)
 * and refunds them. Conditional, so a message the send consumer claimed first goes out, and one
 * canceled already is not canceled (or refunded) twice. Returns whether more may remain.
 */
export async function cancelStep(env: Pick<Env, "METER">, db: Db, batch: BatchRow): Promise<boolean> {
  const now = Date.now();
  type Canceled = { id: string; status: "canceled"; price: number; carrierMessageId: string | null; refundedAt: number | null };
  const [canceled = []] = await runBatch<Canceled>(db, [
    sql`
      UPDATE messages SET status = 'canceled', version = version + 1, updated_at = ${now}
      WHERE id IN (SELECT id FROM messages WHERE batch_id = ${batch.id} AND status IN ('scheduled', 'queued') LIMIT ${CANCEL_CHUNK})
        AND status IN ('scheduled', 'queued')
      RETURNING id, status, price, carrier_message_id AS carrierMessageId, refunded_at AS refundedAt`,
    // Found by (status, updated_at): exactly the rows the update above just moved.
    sql`
      INSERT INTO message_events (message_id, seq, status, at, detail)
      SELECT id, version, 'canceled', ${now}, 'batch canceled' FROM messages WHERE status = 'canceled' AND updated_at = ${now}
      ON CONFLICT DO NOTHING`,
  ]);
  await refundCanceled(env, db, batch.tenantId, canceled);
  if (canceled.length === CANCEL_CHUNK) return true;
  await db.update(batches).set({ drainedAt: now }).where(and(eq(batches.id, batch.id), isNull(batches.drainedAt)));
  return false;
}

/** Runs one queued step of a batch: the next expansion chunk, or the next cancellation chunk. */
export async function runBatchStep(env: BatchEnv, db: Db, job: BatchJob): Promise<void> {
  const stored = await db.query.batches.findFirst({ where: eq(batches.id, job.batch_id) });
  if (!stored) return;
  const batch = await openBatchBody(env.DATA_ENCRYPTION_KEY, stored);
  if (batch.status === "expanding" && batch.position === job.position) {
    const next = await expandStep(env, db, batch, job);
    if (next) await enqueueBatchStep(env.BATCH_QUEUE, batch.id, next.position, next.delaySeconds);
  } else if (batch.status === "canceled" && batch.drainedAt === null) {
    if (await cancelStep(env, db, batch)) await enqueueBatchStep(env.BATCH_QUEUE, batch.id, 0);
  }
}
