import type { CarrierAdapter, SubmitResult } from "../carriers/types";
import type { Db } from "../db/client";
import { messageParts, type MessagePartRow, type MessageRow } from "../db/schema";
import { canonicalId } from "../domain/carrier-ids";
import { nextCarrier } from "../domain/routing";
import { MAX_SEND_ATTEMPTS, retryDelaySeconds } from "../domain/retry";
import { log } from "../lib/log";
import type { CarrierBreakers } from "./carrier-health";
import type { EventOutbox } from "./events";
import { applyHeldReceipts } from "./receipts";
import { transition } from "./transitions";

export type SendOutcome =
  | { kind: "skipped" }
  | { kind: "sent" | "failed"; message: MessageRow }
  | { kind: "retry"; delaySeconds: number };

/** A retry that moves to another carrier goes at once (a second); one back to the same carrier backs off. */
export const FAILOVER_DELAY_SECONDS = 1;

/** What the send consumer knows about carriers: each message's failover order, adapters, breakers. */
export interface CarrierPlan {
  order(message: MessageRow): string[];
  adapter(carrier: string): CarrierAdapter | null;
  breakers: CarrierBreakers;
  /** Where the status events of this batch's sends are collected for the webhook queue. */
  events?: EventOutbox;
}

/**
 * The carrier for this try: the next in the message's route after the one that failed last (the first on
 * a first try) whose circuit is not open. Null when every circuit is open.
 */
async function chooseCarrier(plan: CarrierPlan, message: MessageRow, order: string[], now: number): Promise<string | null> {
  const lastTried = message.attempts > 1 && order.includes(message.carrier) ? message.carrier : null;
  const open = new Set<string>();
  for (;;) {
    const candidate = nextCarrier(order, lastTried, (c) => open.has(c));
    if (candidate === null || (await plan.breakers.available(candidate, now))) return candidate;
    open.add(candidate);
  }
}

/**
 * Processes one send job. The claim (`queued → sending`) is a conditional update, so a redelivered
 * or duplicated job finds nothing to claim and submits nothing. Each try goes to one carrier of the
 * message's route; a transient failure retries at the next one, and every event names the carrier.
 */
export async function deliver(db: Db, messageId: string, plan: CarrierPlan, now = Date.now()): Promise<SendOutcome> {
  const claimed = await transition(db, messageId, "sending", { countAttempt: true, now });
  if (!claimed) return { kind: "skipped" };
  const order = plan.order(claimed);
  const carrier = await chooseCarrier(plan, claimed, order, now);
  const adapter = carrier === null ? null : plan.adapter(carrier);
  const result: SubmitResult =
    carrier === null
      ? { ok: false, retryable: true, code: "no_carrier_available", message: `Every carrier of the route (${order.join(", ")}) is cooling down.` }
      : adapter
        ? await adapter
            .submit({ messageId, to: claimed.to, from: claimed.from, body: claimed.body, segments: claimed.segments, encoding: claimed.encoding })
            .catch((error: unknown) => ({ ok: false, retryable: true, code: "carrier_error", message: String(error) }))
        : // Another carrier of the route may be configured; with none, there is nothing to retry.
          { ok: false, retryable: order.length > 1, code: "no_route", message: `No carrier adapter "${carrier}" is configured.` };
  const via = carrier ?? claimed.carrier;
  if (carrier !== null) await (result.ok ? plan.breakers.succeeded(carrier, now) : result.retryable ? plan.breakers.failed(carrier, now) : undefined);

  if (result.ok) return recordSent(db, claimed, via, result.carrierMessageIds, now, plan.events);
  const attempt = `attempt ${claimed.attempts} via ${via} failed (${result.code}: ${result.message})`;
  if (result.retryable && claimed.attempts < MAX_SEND_ATTEMPTS) {
    // Another carrier is tried at once; the same one again (or all of them cooling down) after a backoff.
    const next = carrier === null ? null : nextCarrier(order, carrier, () => false);
    const failover = next !== null && next !== carrier;
    const delaySeconds = failover ? FAILOVER_DELAY_SECONDS : retryDelaySeconds(claimed.attempts);
    await transition(db, messageId, "queued", {
      now,
      fields: { carrier: via, errorCode: result.code, errorMessage: result.message },
      detail: `${attempt}; retrying${failover ? ` via ${next}` : ""} in ${delaySeconds}s`,
    });
    return { kind: "retry", delaySeconds };
  }
  const reason = result.retryable ? `gave up after ${claimed.attempts} attempts: ${result.message}` : result.message;
  const failed = await transition(db, messageId, "failed", {
    now,
    events: plan.events,
    fields: { carrier: via, errorCode: result.code, errorMessage: reason },
    detail: result.retryable ? `${attempt}; no attempts left` : attempt,
  });
  log.warn("send_failed", { message_id: messageId, carrier: via, code: result.code, attempts: claimed.attempts });
  return failed ? { kind: "failed", message: failed } : { kind: "skipped" };
}

/** `sending → sent` with the carrier's ids, one row per part, in one batch; then any receipt that came first. */
async function recordSent(db: Db, claimed: MessageRow, carrier: string, ids: string[], now: number, events?: EventOutbox): Promise<SendOutcome> {
  const parts: MessagePartRow[] = ids.map((id, i) => ({ carrier, carrierKey: canonicalId(id), messageId: claimed.id, part: i + 1, status: "sent", updatedAt: now }));
  const sent = await transition(db, claimed.id, "sent", {
    now,
    fields: { carrier, carrierMessageId: ids[0], parts: ids.length, submittedAt: now, errorCode: null, errorMessage: null },
    detail: `attempt ${claimed.attempts} via ${carrier}: accepted as ${ids.join(", ")}`,
    also: [db.insert(messageParts).values(parts).onConflictDoNothing()],
    events,
  });
  if (!sent) return { kind: "skipped" };
  await applyHeldReceipts(db, carrier, parts, { now, events });
  return { kind: "sent", message: sent };
}

/**
 * A send job that reached the dead-letter queue: the message, if still waiting in `queued`, is failed
 * for good. One caught in `sending` may have reached the carrier, so it is left for a receipt.
 */
export async function failDeadLettered(db: Db, messageId: string): Promise<MessageRow | null> {
  return transition(db, messageId, "failed", {
    onlyFrom: ["queued"],
    fields: { errorCode: "dead_lettered", errorMessage: "The send job exhausted its queue retries." },
    detail: "dead_lettered",
  });
}
