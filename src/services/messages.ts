// The messages service: a message's read (get, list), its acceptance (send) and its dry run, which share one
// preparation step, its cancel, and the one builder of a new message's row (also batch expansion's).
import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { carrierNameFor } from "../carriers/registry";
import type { Db } from "../db/client";
import { controlDb } from "../db/shards";
import { carrierReceipts, messageEvents, messages, type CarrierReceiptRow, type MessageEventRow, type MessageRow } from "../db/schema";
import { liveSendingProblems, type DeploymentSettings } from "../domain/deployment";
import { analyzeBody, MAX_SEGMENTS, type Encoding } from "../domain/encoding";
import { isFinal, type MessageStatus, type MessageType } from "../domain/message-status";
import { messageDeletion } from "./deletion";
import { runBatch } from "../db/statements";
import { parsePhone, smsCapable, type PhoneResult } from "../domain/phone";
import { rateLimitHeaders } from "../domain/rate-limit-headers";
import { timingOf } from "../domain/schedule";
import { webhookUrlProblem } from "../domain/webhook-url";
import { ApiError } from "../lib/errors";
import { checkpoint } from "../lib/faults";
import { fingerprint } from "../lib/fingerprint";
import { firstIdAt, ID_PREFIXES, newId } from "../lib/ids";
import { log } from "../lib/log";
import { idBefore } from "../lib/pagination";
import { meterFor } from "../meter/client";
import { refusalError } from "../meter/refusals";
import type { AdmitRequest, SignedNonce } from "../meter/types";
import { enqueueSend } from "../queues/jobs";
import type { AuthContext, Owner } from "../types";
import type { CompatApi } from "../domain/compat/apis";
import { refundIfDue } from "./billing";
import { composeMessage, type ComposeInput, type Composed } from "./composition";
import { EventOutbox } from "./events";
import { openMessages, sealMessages } from "./message-data";
import { unitPrice } from "./prices";
import { parseSendAt, quietHoursOf } from "./scheduling";
import { transition } from "./transitions";

/** A message with its timeline and the carrier receipts its events came from. */
export type MessageWithEvents = MessageRow & { events: MessageEventRow[]; receipts?: CarrierReceiptRow[] };

/**
 * One of an owner's messages: its tenant's, sent with a key of its mode (a test key never sees live traffic),
 * its body opened. Every read a route makes goes through a function like this one, so no route is ever given a
 * sealed row (test/trust/personal-data.test.ts reads every route's answer for `enc:v1:`).
 */
export async function getMessage(secret: string | undefined, db: Db, owner: Owner, id: string): Promise<MessageWithEvents> {
  const [opened] = await openMessages(secret, [await findMessage(db, owner, id)]);
  return opened!;
}

/** The stored row (body sealed), for the service's own checks. */
async function findMessage(db: Db, owner: Owner, id: string): Promise<MessageWithEvents> {
  const [row, events, receipts] = await db.batch([
    db.select().from(messages).where(and(eq(messages.id, id), eq(messages.tenantId, owner.tenantId), eq(messages.mode, owner.mode))),
    db.select().from(messageEvents).where(eq(messageEvents.messageId, id)).orderBy(asc(messageEvents.seq)),
    db.select().from(carrierReceipts).where(eq(carrierReceipts.messageId, id)),
  ]);
  if (!row[0]) throw new ApiError("not_found", `No message ${id}.`);
  return { ...row[0], events, receipts };
}

/** A message as its send was first answered: its first status and event, nothing a carrier added since. */
function asFirstAnswered(message: MessageWithEvents): MessageWithEvents {
  const first = message.events[0];
  return { ...message, ...UNTOUCHED, status: first?.status ?? message.status, updatedAt: message.createdAt, events: first ? [first] : [], receipts: [] };
}

/** What a message holds before anything has happened to it: no carrier, no error, no try, no refund. */
const UNTOUCHED = {
  carrierMessageId: null,
  errorCode: null,
  errorMessage: null,
  refundedAt: null,
  attempts: 0,
  parts: null,
  partsDelivered: 0,
  submittedAt: null,
  handedAt: null,
  version: 1,
} as const satisfies Partial<MessageRow>;

/** What a new message is made of; the rest of its row is the same for every new message. */
export type NewMessage = Pick<
  MessageRow,
  | "id" | "tenantId" | "mode" | "to" | "country" | "from" | "type" | "body" | "encoding" | "segments" | "carrier"
  | "reference" | "templateId" | "templateVersion" | "price" | "currency" | "sendAt" | "batchId" | "callbackUrl"
>;

/** A new message's row, as a send (below) and a batch's expansion (src/services/batch-work.ts) store it. */
export function newMessageRow(message: NewMessage & Partial<Pick<MessageRow, "callbackFormat" | "credentialId" | "validUntil">>, now: number): MessageRow {
  return {
    callbackFormat: null,
    credentialId: null,
    validUntil: null,
    ...message,
    status: message.sendAt === null ? "queued" : "scheduled",
    ...UNTOUCHED,
    createdAt: now,
    updatedAt: now,
  };
}

export interface ListFilter {
  status?: MessageStatus;
  to?: string;
  /** A batch's messages only (GET /v1/batches/{id}/messages). */
  batchId?: string;
  /** The sender, as stored (Twilio's `From` filter). */
  from?: string;
  /** Made at or after / before these times (ms): bounds on the id, which sorts by creation. */
  createdFrom?: number;
  createdBefore?: number;
  limit: number;
  cursor?: string;
}

/** Newest first; fetches one row more than asked so the caller knows whether there is a next page. */
/** A page of an owner's messages (one more than the limit, for the cursor), bodies opened. */
export async function listMessages(secret: string | undefined, db: Db, owner: Owner, filter: ListFilter): Promise<MessageRow[]> {
  return openMessages(secret, await listMessagesQuery(db, owner, filter));
}

/** The listing's query, unrun: every filter a key can ask for is served by an index (test/db/query-plans.test.ts). */
export function listMessagesQuery(db: Db, owner: Owner, filter: ListFilter) {
  const conditions: SQL[] = [eq(messages.tenantId, owner.tenantId), eq(messages.mode, owner.mode)];
  if (filter.status) conditions.push(eq(messages.status, filter.status));
  if (filter.to) {
    const phone = parsePhone(filter.to);
    if (!phone.ok) {
      throw new ApiError("validation_failed", "The `to` filter is not a valid number.", {
        errors: [{ path: "query.to", message: phone.detail }],
      });
    }
    conditions.push(eq(messages.to, phone.e164));
  }
  if (filter.batchId) conditions.push(eq(messages.batchId, filter.batchId));
  if (filter.from !== undefined) conditions.push(eq(messages.from, filter.from));
  if (filter.createdFrom !== undefined) conditions.push(gte(messages.id, firstIdAt(ID_PREFIXES.message, filter.createdFrom)));
  if (filter.createdBefore !== undefined) conditions.push(lt(messages.id, firstIdAt(ID_PREFIXES.message, filter.createdBefore)));
  if (filter.cursor) conditions.push(idBefore(messages.id, filter.cursor));
  return db
    .select()
    .from(messages)
    .where(and(...conditions))
    .orderBy(desc(messages.id))
    .limit(filter.limit + 1);
}

export interface SendInput extends ComposeInput {
  to: string;
  reference?: string;
  country?: string;
  /** ISO 8601 with an offset, 1 minute to 30 days ahead: the message waits as `scheduled` until then. */
  send_at?: string;
  /** Where this message's status events are posted (signed), besides the tenant's webhook endpoints. */
  callback_url?: string;
  /**
   * Set by a compatible API (Twilio's, Alibaba's): the shape of the callback posts, the credential that
   * signs them, and Twilio's ValidityPeriod (seconds it may wait for a carrier).
   */
  compat?: { format: CompatApi; credentialId: string; validitySeconds?: number; nonce?: SignedNonce };
}

type SendEnv = Pick<Env, "DB" | "PUBLIC_BASE_URL" | "SEND_QUEUE" | "LIVE_CARRIER" | "METER" | "BILLING_CURRENCY" | "ENVIRONMENT" | "DATA_ENCRYPTION_KEY">;

export type SendResult =
  | { kind: "accepted"; message: MessageWithEvents; headers: Record<string, string> }
  /** An earlier request with the same idempotency key: its message, as that request was answered. */
  | { kind: "replayed"; message: MessageWithEvents };

export interface SendPreview {
  would_send: boolean;
  refusal: { code: string; status: number; detail: string } | null;
  to: string | null;
  country: string | null;
  type: MessageType | null;
  from: string | null;
  body: string | null;
  template_id: string | null;
  template_version: number | null;
  encoding: Encoding | null;
  segments: number | null;
  price: number | null;
  currency: string;
  carrier: string;
  /** When it would go, if not at once: the `send_at` asked for, or the end of the recipient's quiet hours. */
  send_at: string | null;
}

/** The first check of all: a valid number that can receive SMS. */
function numberError(phone: PhoneResult): ApiError | null {
  if (!phone.ok) return new ApiError("invalid_number", phone.detail, { extra: { reason: phone.reason } });
  if (!smsCapable(phone.type)) {
    return new ApiError("number_not_sms_capable", `${phone.e164} is a ${phone.type.replaceAll("_", " ")} number, which cannot receive SMS.`, {
      extra: { number_type: phone.type },
    });
  }
  return null;
}

/** After composing: a body that fits in the segments allowed. */
function lengthError(segments: number, encoding: Encoding): ApiError | null {
  if (segments > MAX_SEGMENTS) {
    return new ApiError("body_too_long", `The body needs ${segments} ${encoding} segments; at most ${MAX_SEGMENTS} are allowed.`);
  }
  return null;
}

/** Live traffic needs a deployment that can carry it (src/domain/deployment.ts); test keys always can. */
export function assertLiveSending(env: DeploymentSettings, mode: AuthContext["mode"]): void {
  if (mode !== "live") return;
  const problems = liveSendingProblems(env);
  if (problems.length === 0) return;
  throw new ApiError("live_sending_unconfigured", `This deployment cannot send live messages: ${problems.join("; ")}.`, { extra: { problems } });
}

function liveRefusal(env: DeploymentSettings, mode: AuthContext["mode"]): ApiError | null {
  try {
    assertLiveSending(env, mode);
    return null;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** What the message reserves: the destination's price per segment, for live keys of metered tenants. */
async function priceOf(control: Db, auth: AuthContext, country: string | null, segments: number): Promise<number> {
  return auth.mode === "live" && auth.metered ? (await unitPrice(control, country)) * segments : 0;
}

/**
 * What a send and a dry run both work out, checked in the order a send refuses: the number, the callback
 * URL, the composition (template, sender, content rules), the length; then its price and when it would go.
 * `refusal` is the first check that failed (a send throws it, a dry run reports it); null when none did.
 */
async function prepareMessage(env: SendEnv, db: Db, auth: AuthContext, input: SendInput, now: number) {
  const requested = parseSendAt(input.send_at, now);
  const phone = parsePhone(input.to, input.country);
  const badCallback = input.callback_url === undefined ? null : webhookUrlProblem(input.callback_url, env.ENVIRONMENT === "development");
  const callbackError =
    badCallback === null ? null : new ApiError("validation_failed", `callback_url ${badCallback}.`, { errors: [{ path: "body.callback_url", message: badCallback }] });
  let refusal: ApiError | null = liveRefusal(env, auth.mode) ?? numberError(phone) ?? callbackError;
  const control = controlDb(env);
  let composed: Composed | null = null;
  try {
    composed = await composeMessage(db, control, auth, input);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    refusal ??= error;
  }
  const counted = composed && analyzeBody(composed.body);
  refusal ??= counted && lengthError(counted.segments, counted.encoding);
  const country = phone.ok ? phone.country : null;
  const price = phone.ok && counted ? await priceOf(control, auth, country, counted.segments) : null;
  const timing = composed && timingOf({ type: composed.type, country }, requested, now, quietHoursOf(auth.quietHours));
  return { refusal, phone, country, composed, counted, price, timing };
}

/**
 * Accepts a message, to go now (`queued`) or later (`scheduled`: asked for with `send_at`, or marketing
 * held for the recipient's quiet hours; charged now, refunded if canceled). The order is what keeps it
 * lost-free and charge-correct:
 * 1. content checks; 2. one call to the tenant's meter, which decides idempotency, the sandbox, the
 * block list, rates, quota, caps and balance, and consumes them atomically; 3. the outbox write (message and first event in one
 * D1 batch); 4. the send job. If the write fails, the meter gives back what it took. If the enqueue
 * fails, the row is there and the sweeper enqueues it. If the Worker dies between 2 and 3, the meter's
 * alarm finds no message and gives back what it took.
 */
export async function acceptMessage(
  env: SendEnv,
  db: Db,
  auth: AuthContext,
  input: SendInput,
  options: {
    idempotencyKey?: string;
    keywordReply?: boolean;
    /** Called once the meter has the request: from then on it has counted it, whatever the answer. */
    onMetered?: () => void;
  },
): Promise<SendResult> {
  const now = Date.now();
  const { refusal, phone, composed, counted, price, timing } = await prepareMessage(env, db, auth, input, now);
  if (refusal) throw refusal;
  if (!phone.ok || !composed || !counted || !timing || price === null) throw new Error("a message with no refusal is fully prepared");
  const { encoding, segments } = counted;
  const row = newMessageRow(
    {
      id: newId("message", now),
      tenantId: auth.tenantId,
      mode: auth.mode,
      to: phone.e164,
      country: phone.country,
      from: composed.from,
      type: composed.type,
      body: composed.body,
      encoding,
      segments,
      carrier: carrierNameFor(auth.mode, env),
      reference: input.reference ?? null,
      templateId: composed.templateId,
      templateVersion: composed.templateVersion,
      price,
      currency: env.BILLING_CURRENCY,
      sendAt: timing.sendAt,
      batchId: null,
      callbackUrl: input.callback_url ?? null,
      callbackFormat: input.compat?.format ?? null,
      credentialId: input.compat?.credentialId ?? null,
      validUntil: input.compat?.validitySeconds === undefined ? null : (timing.sendAt ?? now) + input.compat.validitySeconds * 1000,
    },
    now,
  );
  const status = row.status;
  const event: MessageEventRow = { messageId: row.id, seq: 1, status, at: now, detail: timing.detail, receiptId: null };
  const message: MessageWithEvents = { ...row, events: [event] };

  const meter = meterFor(env, auth.tenantId);
  const admit: AdmitRequest = {
    tenantId: auth.tenantId,
    messageId: row.id,
    recipient: row.to,
    type: row.type,
    segments,
    price: row.price,
    exempt: !auth.metered,
    sandbox: auth.mode === "live" && auth.sandbox,
    keywordReply: options.keywordReply,
    nonce: input.compat?.nonce,
    // Test and live keys of one tenant never share an idempotency key, as they share no messages.
    idempotency: options.idempotencyKey
      ? { key: `${auth.mode}:${options.idempotencyKey}`, fingerprint: await fingerprint(input) }
      : undefined,
  };
  checkpoint("admission");
  const verdict = await meter.admit(admit);
  options.onMetered?.();
  checkpoint("admission", "after");
  switch (verdict.outcome) {
    case "nonce_used":
      throw new ApiError("nonce_reused", "Specified signature nonce was used already.");
    case "idempotency_mismatch":
      throw new ApiError("idempotency_mismatch", "This idempotency key was used with a different request in the last 24 hours.");
    case "replay":
      {
        // Rendered again from the stored message (the meter keeps no answer: it would hold the body in clear).
        const earlier = await findMessage(db, auth, verdict.messageId).catch((error: unknown) => {
          if (error instanceof ApiError && error.code === "not_found") return null;
          throw error;
        });
        if (earlier) return { kind: "replayed", message: asFirstAnswered((await openMessages(env.DATA_ENCRYPTION_KEY, [earlier]))[0]!) };
      }
      throw new ApiError(
        "idempotency_in_progress",
        "A request with this idempotency key is still being processed; retry in a moment.",
        { headers: { "Retry-After": "1" } },
      );
    case "refused":
      throw refusalError(verdict.refusal, verdict.quotas, env.BILLING_CURRENCY);
    case "dry_run":
      throw new Error("the meter answered a send with a dry run");
  }
  const headers = rateLimitHeaders(verdict.quotas);

  try {
    checkpoint("outbox_write");
    // Stored with its body encrypted; the answer (and an idempotent replay of it) shows it as written.
    const [stored] = await sealMessages(env.DATA_ENCRYPTION_KEY, auth.tenantId, [row]);
    await db.batch([db.insert(messages).values(stored!), db.insert(messageEvents).values(event)]);
  } catch (error) {
    // A write can fail after it committed. Only a message known not to be there gives back what the
    // meter took (reservation, quota, cap slot, key), so nothing is sent uncharged; when that cannot be
    // told now, or the release fails, the meter's alarm checks D1 and releases it a few minutes later.
    const stored = await messageExists(db, auth.tenantId, row.id).catch(() => null);
    if (stored !== true) {
      if (stored === false) {
        await meter.release(row.id).catch((e: unknown) => log.error("meter_release_failed", { message_id: row.id, error: String(e) }));
      }
      throw error;
    }
  }
  checkpoint("outbox_write", "after");
  // A scheduled message is the cron's to dispatch when it is due.
  if (status === "queued") {
    try {
      await enqueueSend(env.SEND_QUEUE, row.id);
    } catch (error) {
      log.warn("enqueue_failed", { message_id: row.id, error: String(error) });
    }
  }
  return { kind: "accepted", message, headers };
}

/** Runs every check a send would, and changes nothing: no message, no charge, nothing counted. */
export async function previewMessage(
  env: SendEnv,
  db: Db,
  auth: AuthContext,
  input: SendInput,
  onMetered?: () => void,
): Promise<{ preview: SendPreview; headers: Record<string, string> }> {
  const prepared = await prepareMessage(env, db, auth, input, Date.now());
  const { phone, country, composed, counted, price, timing } = prepared;
  let { refusal } = prepared;
  let headers: Record<string, string> = {};
  if (!refusal && phone.ok && composed && counted) {
    const verdict = await meterFor(env, auth.tenantId).admit({
      tenantId: auth.tenantId,
      exempt: !auth.metered,
      sandbox: auth.mode === "live" && auth.sandbox,
      messageId: "dry_run",
      recipient: phone.e164,
      type: composed.type,
      segments: counted.segments,
      price: price ?? 0,
      dryRun: true,
    });
    if (verdict.outcome !== "dry_run") throw new Error(`the meter answered a dry run with ${verdict.outcome}`);
    onMetered?.();
    // Over the request rate, a dry run is refused as any request is, not previewed.
    if (verdict.refusal?.code === "rate_limited" && verdict.refusal.limit === "requests") {
      throw refusalError(verdict.refusal, verdict.quotas, env.BILLING_CURRENCY);
    }
    headers = rateLimitHeaders(verdict.quotas);
    refusal = verdict.refusal && refusalError(verdict.refusal, verdict.quotas, env.BILLING_CURRENCY);
  }
  return {
    preview: {
      would_send: refusal === null,
      refusal: refusal && { code: refusal.code, status: refusal.status, detail: refusal.message },
      to: phone.ok ? phone.e164 : null,
      country,
      type: composed?.type ?? null,
      from: composed?.from ?? null,
      body: composed?.body ?? null,
      template_id: composed?.templateId ?? null,
      template_version: composed?.templateVersion ?? null,
      encoding: counted?.encoding ?? null,
      segments: counted?.segments ?? null,
      price,
      currency: env.BILLING_CURRENCY,
      carrier: carrierNameFor(auth.mode, env),
      send_at: timing?.sendAt ? new Date(timing.sendAt).toISOString() : null,
    },
    headers,
  };
}

async function messageExists(db: Db, tenantId: string, id: string): Promise<boolean> {
  const row = await db.query.messages.findFirst({
    columns: { id: true },
    where: and(eq(messages.id, id), eq(messages.tenantId, tenantId)),
  });
  return row !== undefined;
}

/**
 * Cancels a scheduled message and refunds it. Canceling again answers the canceled message; one that
 * is already queued (or further) cannot be stopped: 409.
 */
export async function cancelMessage(env: Pick<Env, "METER" | "WEBHOOK_QUEUE" | "DATA_ENCRYPTION_KEY">, db: Db, owner: Owner, id: string): Promise<MessageWithEvents> {
  const current = await getMessage(env.DATA_ENCRYPTION_KEY, db, owner, id);
  if (current.status === "canceled") return current;
  const events = new EventOutbox();
  const canceled: MessageRow | null = await transition(db, id, "canceled", { onlyFrom: ["scheduled"], detail: "canceled by request", events });
  await events.flush(env.WEBHOOK_QUEUE);
  if (!canceled) {
    const now = await getMessage(env.DATA_ENCRYPTION_KEY, db, owner, id);
    if (now.status === "canceled") return now;
    throw new ApiError("not_cancelable", `Message ${id} is ${now.status}; only a scheduled message can be canceled.`, {
      extra: { message_status: now.status },
    });
  }
  await refundIfDue(env, db, canceled);
  return getMessage(env.DATA_ENCRYPTION_KEY, db, owner, id);
}

/** A message still on its way: its body cannot be redacted nor its record deleted (Twilio's rule too). */
function assertFinal(message: MessageRow, what: string): void {
  if (!isFinal(message.status)) {
    throw new ApiError("message_in_progress", `Message ${message.id} is ${message.status}; only a final message can be ${what}.`, {
      extra: { message_status: message.status },
    });
  }
}

/** Blanks a final message's body (its record and status stay). Redacting twice is harmless. */
export async function redactMessage(db: Db, owner: Owner, id: string): Promise<MessageWithEvents> {
  const current = await findMessage(db, owner, id);
  assertFinal(current, "redacted");
  await db.update(messages).set({ body: "" }).where(and(eq(messages.id, id), eq(messages.tenantId, owner.tenantId), eq(messages.mode, owner.mode)));
  return { ...current, body: "" };
}

/**
 * Deletes a final message's record with its events, receipts and deliveries (the stats keep their counts).
 * The meter hears first that the message was stored, so its reconciler never takes the missing row for an
 * admission that never reached D1 and refunds a message that was sent.
 */
export async function deleteMessage(env: Pick<Env, "METER">, db: Db, owner: Owner, id: string): Promise<void> {
  assertFinal(await findMessage(db, owner, id), "deleted");
  await meterFor(env, owner.tenantId).confirmStored([id]);
  await runBatch(db, messageDeletion(JSON.stringify([id])));
}

/**
 * One recipient's messages made in [start, end), newest first, a page at an offset, with their count; only
 * those of `batchOrMessageIds` when given (Alibaba's QuerySendDetails: a BizId names a message or a batch).
 * By the (tenant, to, id) index: one recipient's day is small.
 */
export async function recipientDay(
  secret: string | undefined,
  db: Db,
  owner: Owner,
  query: { to: string; start: number; end: number; ids?: string[]; limit: number; offset: number },
): Promise<{ rows: MessageRow[]; total: number }> {
  const ids = query.ids && JSON.stringify(query.ids);
  const where = and(
    eq(messages.tenantId, owner.tenantId),
    eq(messages.to, query.to),
    eq(messages.mode, owner.mode),
    gte(messages.id, firstIdAt(ID_PREFIXES.message, query.start)),
    lt(messages.id, firstIdAt(ID_PREFIXES.message, query.end)),
    ids ? sql`(${messages.id} IN (SELECT value FROM json_each(${ids})) OR ${messages.batchId} IN (SELECT value FROM json_each(${ids})))` : undefined,
  );
  const [rows, [counted]] = await db.batch([
    db.select().from(messages).where(where).orderBy(desc(messages.id)).limit(query.limit).offset(query.offset),
    db.select({ n: sql<number>`COUNT(*)` }).from(messages).where(where),
  ]);
  return { rows: await openMessages(secret, rows), total: counted?.n ?? 0 };
}
