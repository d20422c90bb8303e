export const MESSAGE_TYPES = ["otp", "notification", "marketing"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MESSAGE_STATUSES = ["scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed", "canceled", "expired"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Final for billing and stats. `expired` (no receipt 72 hours after submit) still takes a late receipt. */
export const FINAL_STATUSES: readonly MessageStatus[] = ["delivered", "undelivered", "failed", "canceled", "expired"];
/** Submitted and waiting for its carrier's receipt. */
export const AWAITING_RECEIPT = ["sent", "expired"] as const satisfies readonly MessageStatus[];
/** Not yet handed to a carrier: what a cancel can still stop. */
export const UNSUBMITTED_STATUSES = ["scheduled", "queued"] as const satisfies readonly MessageStatus[];

/**
 * The statuses a message may be in for a move to `next` to apply. Everything moves forward only,
 * with one exception: a transient carrier error hands a `sending` message back to `queued` for
 * its retry. `scheduled` is only ever a first status; `expired` gives way to a receipt that comes late; a cancel stops a message before submission. A receipt whose status is not reachable from the current one is stale or a
 * duplicate and changes nothing.
 */
const ALLOWED_FROM: Record<MessageStatus, readonly MessageStatus[]> = {
  scheduled: [],
  queued: ["scheduled", "sending"],
  sending: ["queued"],
  sent: ["sending"],
  delivered: AWAITING_RECEIPT,
  undelivered: AWAITING_RECEIPT,
  failed: ["queued", "sending", ...AWAITING_RECEIPT],
  canceled: UNSUBMITTED_STATUSES,
  expired: ["sent"],
};

export function allowedFrom(next: MessageStatus): readonly MessageStatus[] {
  return ALLOWED_FROM[next];
}

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return ALLOWED_FROM[to].includes(from);
}

export function isFinal(status: MessageStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/**
 * A send whose carrier answer was lost (the Worker died, or the carrier's 2xx could not be read) and that no
 * carrier lookup could settle: `sent`, not refunded, until a receipt naming it confirms it (or it expires).
 */
export const SUBMIT_UNCONFIRMED = "submit_unconfirmed";
/** A send interrupted before any carrier of its route took it (their lookups say so): failed and refunded. */
export const SUBMIT_INTERRUPTED = "submit_interrupted";
