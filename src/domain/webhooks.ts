/** What a tenant can subscribe an endpoint to. */
export const WEBHOOK_EVENT_TYPES = ["message.status", "message.inbound", "batch.completed", "alert.firing", "alert.resolved", "opt_out.lifted"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Message statuses a `message.status` event is sent for: what a tenant acts on, not every internal step. */
export const NOTIFIED_STATUSES = ["sent", "delivered", "undelivered", "failed", "expired", "canceled"] as const;

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Seconds to wait before each try, the first at once: 8 tries over about 28 hours, so an endpoint that is
 * down for a day still gets every event (the schedule Standard Webhooks senders commonly use).
 */
export const DELIVERY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** When the try after `attempts` failed ones is due, or null when the schedule is spent. */
export function nextAttemptDelay(attempts: number): number | null {
  return attempts < DELIVERY_SCHEDULE_SECONDS.length ? DELIVERY_SCHEDULE_SECONDS[attempts]! : null;
}

/** A rotated-out secret still signs (beside the new one) for this long, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** How long one try may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
