import type { MessageType } from "./message-status";
import { quietHoldUntil, type QuietHours } from "./quiet-hours";

/** How far ahead `send_at` may be: at least a minute (sooner is simply "now"), at most 30 days. */
export const MIN_SCHEDULE_AHEAD_MS = 60_000;
export const MAX_SCHEDULE_AHEAD_MS = 30 * 86_400_000;

/** ISO 8601 with an explicit offset (`Z` or `±hh:mm`), so a time never depends on the server's zone. */
export const SEND_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Why `sendAt` (already well-formed) cannot be used at `now`, or null when it can. */
export function sendAtProblem(sendAt: number, now: number): string | null {
  if (Number.isNaN(sendAt)) return "is not a valid date and time";
  if (sendAt < now + MIN_SCHEDULE_AHEAD_MS) return "must be at least one minute ahead; leave it out to send now";
  if (sendAt > now + MAX_SCHEDULE_AHEAD_MS) return "must be at most 30 days ahead";
  return null;
}

export interface Timing {
  /** When the message is due; null: now, so it is `queued` at once. */
  sendAt: number | null;
  /** What its first event says about the wait, if it waits. */
  detail: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * When a message goes: at `requested` (or now), unless it is marketing and that falls in the
 * recipient's quiet hours, in which case it is held until they end. OTP and notifications never wait.
 */
export function timingOf(
  message: { type: MessageType; country: string | null },
  requested: number | null,
  now: number,
  quietHours: QuietHours,
): Timing {
  const hold = message.type === "marketing" ? quietHoldUntil(message.country, requested ?? now, quietHours) : null;
  if (hold !== null) {
    return { sendAt: hold, detail: `held for quiet hours (${quietHours.start}–${quietHours.end} in ${message.country}) until ${iso(hold)}` };
  }
  return requested === null ? { sendAt: null, detail: null } : { sendAt: requested, detail: `scheduled for ${iso(requested)}` };
}
