import { and, desc, eq, gte, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { inboundMessages, messages, tenantNumbers, tenants, type InboundMessageRow } from "../db/schema";
import { autoReply, DEFAULT_KEYWORDS, keywordAction, type KeywordAction, type KeywordSettings } from "../domain/keywords";
import { parsePhone } from "../domain/phone";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { idBefore } from "../lib/pagination";
import { meterFor } from "../meter/client";
import { EventOutbox, recordTenantEvent } from "./events";
import { acceptMessage } from "./sending";

type InboundEnv = Pick<Env, "SEND_QUEUE" | "LIVE_CARRIER" | "METER" | "BILLING_CURRENCY" | "ENVIRONMENT" | "WEBHOOK_QUEUE">;

export type InboundResult = "recorded" | "duplicate" | "unknown_destination";

const e164OrRaw = (number: string) => {
  const phone = parsePhone(number);
  return phone.ok ? phone.e164 : number.trim();
};

export async function assignNumber(db: Db, tenantId: string, number: string) {
  const existing = await db.query.tenantNumbers.findFirst({ where: eq(tenantNumbers.number, number) });
  if (existing && existing.tenantId !== tenantId) throw new ApiError("already_exists", `${number} is assigned to another tenant.`);
  if (existing) return { row: existing, created: false };
  const row = { number, tenantId, createdAt: Date.now() };
  await db.insert(tenantNumbers).values(row);
  return { row, created: true };
}

export async function keywordSettings(db: Db, tenantId: string): Promise<KeywordSettings> {
  const tenant = await db.query.tenants.findFirst({ columns: { keywords: true }, where: eq(tenants.id, tenantId) });
  return { ...DEFAULT_KEYWORDS, ...tenant?.keywords };
}

/**
 * A reply from a handset. Its destination names the tenant (an unknown one is recorded, not refused);
 * a keyword reply opts the sender out, back in, or asks for help, and is answered as the tenant says.
 * A redelivered webhook is recorded once, and its action is done again only if it never finished.
 */
export async function receiveInbound(
  env: InboundEnv,
  db: Db,
  delivery: { carrier: string; webhookId: string },
  reply: { from: string; to: string; text: string; receivedAt: number; payload?: string },
): Promise<{ result: InboundResult; action: KeywordAction | null; id: string }> {
  const from = e164OrRaw(reply.from);
  const to = e164OrRaw(reply.to);
  const owner = await db.query.tenantNumbers.findFirst({ where: eq(tenantNumbers.number, to) });
  const settings = owner ? await keywordSettings(db, owner.tenantId) : DEFAULT_KEYWORDS;
  const action = owner ? keywordAction(reply.text, settings) : null;
  const answered = owner
    ? await db.query.messages.findFirst({
        columns: { id: true },
        where: and(eq(messages.tenantId, owner.tenantId), eq(messages.to, from)),
        orderBy: desc(messages.id),
      })
    : undefined;
  const now = Date.now();
  const row: InboundMessageRow = {
    id: newId("inbound", now),
    tenantId: owner?.tenantId ?? null,
    carrier: delivery.carrier,
    webhookId: delivery.webhookId,
    from,
    to,
    text: reply.text,
    action,
    inReplyTo: answered?.id ?? null,
    payload: reply.payload ?? null,
    handledAt: owner ? null : now,
    receivedAt: reply.receivedAt,
    createdAt: now,
  };
  await db.insert(inboundMessages).values(row).onConflictDoNothing();
  const stored = (await db.query.inboundMessages.findFirst({
    where: and(eq(inboundMessages.carrier, delivery.carrier), eq(inboundMessages.webhookId, delivery.webhookId)),
  }))!;
  if (!owner) return { result: "unknown_destination", action: null, id: stored.id };
  if (stored.handledAt !== null) return { result: "duplicate", action: stored.action, id: stored.id };

  if (action) await act(env, db, owner.tenantId, action, from, reply.text, settings);
  // Once per reply (keyed by its id), however often the carrier redelivers it.
  const events = new EventOutbox();
  events.add(await recordTenantEvent(db, owner.tenantId, "message.inbound", `inbound:${stored.id}`, inboundView(stored)));
  await events.flush(env.WEBHOOK_QUEUE);
  await db.update(inboundMessages).set({ handledAt: Date.now() }).where(eq(inboundMessages.id, stored.id));
  return { result: "recorded", action, id: stored.id };
}

async function act(env: InboundEnv, db: Db, tenantId: string, action: KeywordAction, from: string, text: string, settings: KeywordSettings) {
  const meter = meterFor(env, tenantId);
  // The answer goes first: once a number opts out, nothing more reaches it, the confirmation included.
  const answer = autoReply(action, settings);
  if (answer) await sendAutoReply(env, db, tenantId, from, answer, action === "help");
  if (action === "opt_out") await meter.optOut(from, `replied "${text.trim()}"`);
  if (action === "opt_in") await meter.unblock(from, "opt_out");
}

/**
 * An auto-reply is an ordinary outbound message (its receipts flow as any), free and unmetered. A HELP
 * answer is owed even to a number that opted out (CTIA), so it passes the block list.
 */
async function sendAutoReply(env: InboundEnv, db: Db, tenantId: string, to: string, body: string, help: boolean) {
  try {
    await acceptMessage(env, db, { tenantId, keyId: "auto_reply", mode: "live", metered: false, sandbox: false }, { to, body, type: "notification" }, {
      render: () => "",
      keywordReply: help,
    });
  } catch (error) {
    // A reply the content rules refuse, or a confirmation to a number the tenant blocked: recorded, not retried.
    if (!(error instanceof ApiError)) throw error;
    log.warn("auto_reply_refused", { tenant_id: tenantId, code: error.code });
  }
}

/** A reply as tenants see it: in GET /v1/inbound and in `message.inbound` events. */
export function inboundView(row: InboundMessageRow) {
  return {
    id: row.id,
    from: row.from,
    to: row.to,
    text: row.text,
    action: row.action,
    in_reply_to: row.inReplyTo,
    received_at: new Date(row.receivedAt).toISOString(),
  };
}

export async function listInbound(
  db: Db,
  tenantId: string,
  filter: { from?: string; to?: string; since?: number; limit: number; cursor?: string },
): Promise<InboundMessageRow[]> {
  const conditions: SQL[] = [eq(inboundMessages.tenantId, tenantId)];
  if (filter.from) conditions.push(eq(inboundMessages.from, e164OrRaw(filter.from)));
  if (filter.to) conditions.push(eq(inboundMessages.to, e164OrRaw(filter.to)));
  if (filter.since !== undefined) conditions.push(gte(inboundMessages.receivedAt, filter.since));
  if (filter.cursor) conditions.push(idBefore(inboundMessages.id, filter.cursor));
  return db.select().from(inboundMessages).where(and(...conditions)).orderBy(desc(inboundMessages.id)).limit(filter.limit + 1);
}
