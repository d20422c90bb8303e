import { and, desc, eq, gt, gte, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { controlDb, shardScope } from "../db/shards";
import type { Owner } from "../types";
import { inboundMessages, messages, tenantNumbers, tenants, type InboundMessageRow } from "../db/schema";
import { autoReply, DEFAULT_KEYWORDS, keywordAction, type KeywordAction, type KeywordSettings } from "../domain/keywords";
import { parsePhone } from "../domain/phone";
import { KEY_MODES } from "../domain/api-key";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { SIMULATOR } from "../carriers/simulator";
import { log } from "../lib/log";
import { idBefore } from "../lib/pagination";
import { meterFor } from "../meter/client";
import { EventOutbox, recordTenantEvent } from "./events";
import { acceptMessage } from "./messages";
import { openInbound, sealEventData, sealInbound } from "./message-data";

type InboundEnv = Pick<Env, "DB" | "PUBLIC_BASE_URL" | "SEND_QUEUE" | "LIVE_CARRIER" | "METER" | "BILLING_CURRENCY" | "ENVIRONMENT" | "WEBHOOK_QUEUE" | "DATA_ENCRYPTION_KEY">;

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

export async function keywordSettings(control: Db, tenantId: string): Promise<KeywordSettings> {
  const tenant = await control.query.tenants.findFirst({ columns: { keywords: true }, where: eq(tenants.id, tenantId) });
  return { ...DEFAULT_KEYWORDS, ...tenant?.keywords };
}

/** How long a delivery holds a reply it is acting on before another may take it over. */
const CLAIM_MS = 60_000;
/** Auto-replies a tenant sends one number in 24 hours, across all its keywords. */
export const AUTO_REPLIES_PER_DAY = 5;

/** Whose number a reply went to, with what acting on it needs: one read of the control database. */
async function numberOwner(control: Db, number: string) {
  const [owner] = await control
    .select({ tenantId: tenantNumbers.tenantId, shard: tenants.shard, keywords: tenants.keywords })
    .from(tenantNumbers)
    .innerJoin(tenants, eq(tenants.id, tenantNumbers.tenantId))
    .where(eq(tenantNumbers.number, number));
  return owner;
}

/**
 * A reply from a handset. Its destination names the tenant, and so its shard, where it is stored (a reply to
 * no tenant's number is recorded in the control database, not refused);
 * a keyword reply opts the sender out, back in, or asks for help, and is answered as the tenant says.
 * A redelivered webhook is recorded once, and its action is done again only if it never finished.
 */
export async function receiveInbound(
  baseEnv: Env,
  delivery: { carrier: string; webhookId: string },
  reply: { from: string; to: string; text: string; receivedAt: number; payload?: string },
): Promise<{ result: InboundResult; action: KeywordAction | null; id: string }> {
  const from = e164OrRaw(reply.from);
  const to = e164OrRaw(reply.to);
  const control = controlDb(baseEnv);
  const owner = await numberOwner(control, to);
  const { db, env } = owner ? shardScope(baseEnv, owner.shard) : { db: control, env: baseEnv };
  const settings: KeywordSettings = { ...DEFAULT_KEYWORDS, ...owner?.keywords };
  const action = owner ? keywordAction(reply.text, settings) : null;
  const answered = owner
    ? await db.query.messages.findFirst({
        columns: { id: true },
        where: and(eq(messages.tenantId, owner.tenantId), inArray(messages.mode, KEY_MODES), eq(messages.to, from)),
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
    // The simulator stands in for handsets in development and tests: its replies are test traffic.
    mode: delivery.carrier === SIMULATOR ? "test" : "live",
    claimedUntil: null,
    repliedAt: null,
    receivedAt: reply.receivedAt,
    createdAt: now,
  };
  // Stored with its text (and the payload that holds it) encrypted; acted on as it came.
  await db.insert(inboundMessages).values(await sealInbound(env.DATA_ENCRYPTION_KEY, row)).onConflictDoNothing();
  const stored = await openInbound(
    env.DATA_ENCRYPTION_KEY,
    (await db.query.inboundMessages.findFirst({
      where: and(eq(inboundMessages.carrier, delivery.carrier), eq(inboundMessages.webhookId, delivery.webhookId)),
    }))!,
  );
  if (!owner) return { result: "unknown_destination", action: null, id: stored.id };
  if (stored.handledAt !== null) return { result: "duplicate", action: stored.action, id: stored.id };
  // One delivery acts on a reply at a time: two concurrent redeliveries send one auto-reply. A claim
  // that its Worker never finished runs out, and the carrier's next redelivery takes it.
  const claimed = await db
    .update(inboundMessages)
    .set({ claimedUntil: now + CLAIM_MS })
    .where(and(eq(inboundMessages.id, stored.id), isNull(inboundMessages.handledAt), or(isNull(inboundMessages.claimedUntil), lt(inboundMessages.claimedUntil, now))))
    .returning({ id: inboundMessages.id });
  if (claimed.length === 0) return { result: "duplicate", action: stored.action, id: stored.id };

  if (action) {
    try {
      await act(env, db, { tenantId: owner.tenantId, shard: owner.shard, mode: stored.mode }, stored, action, settings);
    } catch (error) {
      // Let the carrier's redelivery act at once: what did happen (the opt-out, a sent reply) is not done twice.
      await db.update(inboundMessages).set({ claimedUntil: null }).where(eq(inboundMessages.id, stored.id)).catch(() => {});
      throw error;
    }
  }
  // Once per reply (keyed by its id), however often the carrier redelivers it.
  const events = new EventOutbox();
  const data = await sealEventData(env.DATA_ENCRYPTION_KEY, owner.tenantId, inboundView(stored));
  events.add(await recordTenantEvent(db, { tenantId: owner.tenantId, mode: stored.mode }, "message.inbound", `inbound:${stored.id}`, data));
  await events.flush(env.WEBHOOK_QUEUE);
  await db.update(inboundMessages).set({ handledAt: Date.now() }).where(eq(inboundMessages.id, stored.id));
  return { result: "recorded", action, id: stored.id };
}

/**
 * A keyword's action. The opt-out (or opt-in) is recorded first, so it holds even when the answer cannot
 * be sent; the answer to STOP still reaches the number, as a keyword reply (CTIA allows that one message).
 */
async function act(env: InboundEnv, db: Db, owner: Owner & { shard: string }, reply: InboundMessageRow, action: KeywordAction, settings: KeywordSettings) {
  const meter = meterFor(env, owner.tenantId);
  if (action === "opt_out") await meter.optOut(reply.from, `replied "${reply.text.trim()}"`);
  if (action === "opt_in") await meter.unblock(reply.from, "opt_out");
  const answer = autoReply(action, settings);
  // HELP's answer and STOP's confirmation are owed even to a blocked number; START's is not, so a number the
  // tenant blocked itself (which START does not unblock) gets nothing.
  if (answer && reply.repliedAt === null) await sendAutoReply(env, db, owner, reply, answer, action !== "opt_in");
}

/**
 * An auto-reply is an ordinary outbound message (its receipts flow as any), free and unmetered, in the
 * reply's mode (the simulator's replies are answered through the simulator); an `owed` one passes the block
 * list. At most AUTO_REPLIES_PER_DAY to one number: a pumping attack that texts a keyword from
 * many premium numbers gets a few answers each, not one per text.
 */
async function sendAutoReply(env: InboundEnv, db: Db, owner: Owner & { shard: string }, reply: InboundMessageRow, body: string, owed: boolean) {
  const since = Date.now() - 86_400_000;
  const [recent] = await db
    .select({ n: sql<number>`COUNT(*)` })
    .from(inboundMessages)
    .where(and(eq(inboundMessages.tenantId, owner.tenantId), eq(inboundMessages.mode, owner.mode), eq(inboundMessages.from, reply.from), gt(inboundMessages.repliedAt, since)));
  if ((recent?.n ?? 0) >= AUTO_REPLIES_PER_DAY) {
    log.warn("auto_reply_capped", { tenant_id: owner.tenantId, inbound_id: reply.id });
    return;
  }
  try {
    const auth = { tenantId: owner.tenantId, shard: owner.shard, keyId: "auto_reply", mode: owner.mode, metered: false, sandbox: false };
    await acceptMessage(env, db, auth, { to: reply.from, body, type: "notification" }, { keywordReply: owed });
  } catch (error) {
    // A reply the content rules refuse, or a confirmation to a number the tenant blocked: recorded, not retried.
    // Anything else, the carrier's redelivery tries again.
    if (!(error instanceof ApiError)) throw error;
    log.warn("auto_reply_refused", { tenant_id: owner.tenantId, code: error.code });
    return;
  }
  await db.update(inboundMessages).set({ repliedAt: Date.now() }).where(eq(inboundMessages.id, reply.id));
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
  secret: string | undefined,
  db: Db,
  owner: Owner,
  filter: { from?: string; to?: string; since?: number; limit: number; cursor?: string },
): Promise<InboundMessageRow[]> {
  const conditions: SQL[] = [eq(inboundMessages.tenantId, owner.tenantId), eq(inboundMessages.mode, owner.mode)];
  if (filter.from) conditions.push(eq(inboundMessages.from, e164OrRaw(filter.from)));
  if (filter.to) conditions.push(eq(inboundMessages.to, e164OrRaw(filter.to)));
  if (filter.since !== undefined) conditions.push(gte(inboundMessages.receivedAt, filter.since));
  if (filter.cursor) conditions.push(idBefore(inboundMessages.id, filter.cursor));
  const rows = await db.select().from(inboundMessages).where(and(...conditions)).orderBy(desc(inboundMessages.id)).limit(filter.limit + 1);
  return Promise.all(rows.map((row) => openInbound(secret, row)));
}
