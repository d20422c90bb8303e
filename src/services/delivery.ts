import { and, eq } from "drizzle-orm";
import type { CarrierAdapter, SubmitResult } from "../carriers/types";
import type { Db } from "../db/client";
import { messages, type MessageRow } from "../db/schema";
import type { MessageStatus } from "../domain/message-status";
import { MAX_SEND_ATTEMPTS, retryDelaySeconds } from "../domain/retry";
import { log } from "../lib/log";
import { transition } from "./transitions";

export type SendOutcome =
  | { kind: "skipped" }
  | { kind: "sent" | "failed"; message: MessageRow }
  | { kind: "retry"; delaySeconds: number };

/**
 * Processes one send job. The claim (`queued → sending`) is a conditional update, so a redelivered
 * or duplicated job finds nothing to claim and submits nothing.
 */
export async function deliver(
  db: Db,
  messageId: string,
  adapterFor: (carrier: string) => CarrierAdapter | null,
): Promise<SendOutcome> {
  const claimed = await transition(db, messageId, "sending", { countAttempt: true });
  if (!claimed) return { kind: "skipped" };
  const adapter = adapterFor(claimed.carrier);
  const result: SubmitResult = adapter
    ? await adapter
        .submit({ messageId, to: claimed.to, from: claimed.from, body: claimed.body, segments: claimed.segments })
        .catch((error: unknown) => ({ ok: false, retryable: true, code: "carrier_error", message: String(error) }))
    : { ok: false, retryable: false, code: "no_route", message: `No carrier adapter named "${claimed.carrier}".` };

  if (result.ok) {
    const sent = await transition(db, messageId, "sent", {
      fields: { carrierMessageId: result.carrierMessageId, errorCode: null, errorMessage: null },
      detail: `accepted by ${claimed.carrier} as ${result.carrierMessageId}`,
    });
    return sent ? { kind: "sent", message: sent } : { kind: "skipped" };
  }
  if (result.retryable && claimed.attempts < MAX_SEND_ATTEMPTS) {
    const delaySeconds = retryDelaySeconds(claimed.attempts);
    await transition(db, messageId, "queued", {
      fields: { errorCode: result.code, errorMessage: result.message },
      detail: `attempt ${claimed.attempts} failed (${result.code}); retrying in ${delaySeconds}s`,
    });
    return { kind: "retry", delaySeconds };
  }
  const reason = result.retryable ? `gave up after ${claimed.attempts} attempts: ${result.message}` : result.message;
  const failed = await transition(db, messageId, "failed", {
    fields: { errorCode: result.code, errorMessage: reason },
    detail: result.code,
  });
  log.warn("send_failed", { message_id: messageId, code: result.code, attempts: claimed.attempts });
  return failed ? { kind: "failed", message: failed } : { kind: "skipped" };
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

export type ReceiptResult = "applied" | "ignored" | "unknown_message";

/**
 * Applies a carrier receipt. Moves are forward only: a duplicate or out-of-order receipt is
 * acknowledged and changes nothing, and adds no event.
 */
export async function applyReceipt(
  db: Db,
  receipt: { carrier: string; carrierMessageId: string; status: MessageStatus; errorCode?: string | null; detail: string },
): Promise<ReceiptResult> {
  const row = await db.query.messages.findFirst({
    columns: { id: true },
    where: and(eq(messages.carrier, receipt.carrier), eq(messages.carrierMessageId, receipt.carrierMessageId)),
  });
  if (!row) return "unknown_message";
  const failedDelivery = receipt.status === "undelivered" || receipt.status === "failed";
  const applied = await transition(db, row.id, receipt.status, {
    detail: receipt.detail,
    fields: failedDelivery
      ? { errorCode: receipt.errorCode ?? "undelivered", errorMessage: `carrier reported ${receipt.status}` }
      : {},
  });
  return applied ? "applied" : "ignored";
}
