import type { MessageStatus } from "./message-status";

/** What one receipt says of one part: still on its way (`sent`), or an outcome. */
export const PART_STATUSES = ["sent", "delivered", "undelivered", "failed"] as const;
export type PartStatus = (typeof PART_STATUSES)[number];

/** What a receipt did: moved its part or message, changed nothing (duplicate, stale), or waits for its id. */
export const RECEIPT_RESULTS = ["applied", "ignored", "held"] as const;
export type ReceiptResult = (typeof RECEIPT_RESULTS)[number];

/** A carrier receipt read into our terms, whatever the carrier's format. */
export interface ParsedReceipt {
  carrierMessageId: string;
  /** Ours; null for a carrier status that says nothing we track (e.g. Twilio's `queued`). */
  status: PartStatus | null;
  errorCode: string | null;
  /** The carrier's status word and time, as it wrote them. */
  carrierStatus: string;
  carrierTime: string | null;
  /**
   * Our message id, where the carrier echoes it back (Vonage's `client-ref`, the query of the status callback
   * URL we gave Twilio, the simulator's `reference`): it lets a receipt settle a message whose submit answer was lost.
   */
  reference?: string | null;
}

/**
 * The message's status once its parts are as given: any part that failed to arrive makes the message
 * `undelivered`, every part delivered makes it `delivered`, otherwise it is still on its way (null).
 * With one part this is just that part's status.
 */
export function aggregateParts(statuses: readonly PartStatus[]): MessageStatus | null {
  if (statuses.length === 0) return null;
  if (statuses.length === 1 && statuses[0] !== "sent") return statuses[0]!;
  if (statuses.some((s) => s === "undelivered" || s === "failed")) return "undelivered";
  if (statuses.every((s) => s === "delivered")) return "delivered";
  return null;
}

/** A message still `sent` this long after a carrier accepted it is `expired`. */
export const EXPIRE_AFTER_MS = 72 * 60 * 60 * 1000;
