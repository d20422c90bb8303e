import { UNSUBMITTED_STATUSES, type MessageStatus } from "./message-status";

/**
 * A batch is `scheduled` until its `send_at`, `expanding` while its recipients are made into messages,
 * `sending` until none of them is left to submit, then `completed`; or `canceled` at any point before.
 */
export const BATCH_STATUSES = ["scheduled", "expanding", "sending", "completed", "canceled"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const CANCELABLE_BATCH_STATUSES = ["scheduled", "expanding", "sending"] as const satisfies readonly BatchStatus[];

/** Recipients a request may list; larger sends go through a group. */
export const MAX_BATCH_RECIPIENTS = 10_000;

/** Why one recipient was left out; the rest of the batch goes ahead. */
export const RECIPIENT_REJECT_CODES = [
  "invalid_number",
  "number_not_sms_capable",
  "duplicate_recipient",
  "invalid_params",
  "content_blocked",
  "body_too_long",
  "recipient_blocked",
  "recipient_opted_out",
  "sandbox_recipient_not_allowed",
  "recipient_frequency_capped",
] as const;
export type RecipientRejectCode = (typeof RECIPIENT_REJECT_CODES)[number];

/**
 * Why expansion stopped early: every recipient not yet expanded was rejected with it. The balance or
 * daily quota ran out; or the template or sender is no longer there or approved.
 */
export const BATCH_STOP_CODES = ["insufficient_balance", "quota_exceeded", "template_not_approved", "sender_not_approved", "not_found"] as const;
export type BatchStopCode = (typeof BATCH_STOP_CODES)[number];

export type StatusCounts = Record<MessageStatus, number>;

/**
 * Delivered over messages whose delivery has an outcome (delivered, undelivered, failed, expired with no
 * receipt); canceled messages never tried. Null until there is an outcome.
 */
export function deliveryRate(counts: StatusCounts): number | null {
  const outcomes = counts.delivered + counts.undelivered + counts.failed + counts.expired;
  return outcomes === 0 ? null : Math.round((counts.delivered / outcomes) * 10_000) / 10_000;
}

/** Some message is still to be handed to a carrier: the batch is not done sending. */
export function hasUnsubmitted(counts: StatusCounts): boolean {
  return counts.sending > 0 || UNSUBMITTED_STATUSES.some((status) => counts[status] > 0);
}
