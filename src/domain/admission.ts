import { CAP_WINDOWS, capsFor, type CapWindow, type Limits } from "./limits";
import type { MessageType } from "./message-status";
import type { QuotaState } from "./rate-limit-headers";
import { secondsUntilAvailable, secondsUntilFull, type Bucket, type BucketRule } from "./token-bucket";
import { nextUtcMidnight } from "./utc-day";

/** Everything the meter knows that bears on one send, as of `now`. */
export interface MeterSnapshot {
  limits: Limits;
  /** Both buckets already refilled to now. */
  requests: Bucket;
  messages: Bucket;
  sentToday: number;
  /**
   * Times of earlier sends of this type to this recipient, oldest first: at least the newest `max`
   * of the largest cap within its window (older ones cannot change the answer).
   */
  recipientSends: number[];
  balance: number;
  /** The recipient's block-list entry, if any. */
  blocked: { source: BlockSource } | null;
  /** The recipient is on the tenant's allow list. */
  allowlisted: boolean;
}

export const BLOCK_SOURCES = ["api", "import", "opt_out"] as const;
export type BlockSource = (typeof BLOCK_SOURCES)[number];

/** What a send brings to the checks beyond the snapshot. */
export interface SendFacts {
  type: MessageType;
  price: number;
  /** A live key of a tenant still in the sandbox: only allow-listed recipients. */
  sandbox?: boolean;
  /** The tenant is exempt from metering: only the recipient checks apply. */
  exempt?: boolean;
  /** An answer to the recipient's own keyword reply (HELP): owed even to a number that opted out. */
  keywordReply?: boolean;
  /** Expanded from a batch: no API request of its own, so the request rate does not apply. */
  batch?: boolean;
}

export type Refusal =
  | { code: "sandbox_recipient_not_allowed" }
  | { code: "recipient_blocked" | "recipient_opted_out" }
  | { code: "rate_limited"; limit: "requests" | "messages"; retryAfter: number }
  | { code: "quota_exceeded"; quota: number; retryAfter: number }
  | { code: "recipient_frequency_capped"; window: CapWindow; max: number; retryAfter: number }
  | { code: "insufficient_balance"; balance: number; price: number };

export const requestRule = (limits: Limits): BucketRule => ({ rate: limits.requests_per_second, burst: limits.request_burst });
export const messageRule = (limits: Limits): BucketRule => ({ rate: limits.messages_per_second, burst: limits.message_burst });

const wholeSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The cap a further send of this type to this recipient would break, if any. */
export function capRefusal(limits: Limits, type: MessageType, sends: readonly number[], now: number): Refusal | null {
  for (const { window, max } of capsFor(limits, type)) {
    const inWindow = sends.filter((at) => at > now - CAP_WINDOWS[window]);
    if (inWindow.length >= max) {
      // The window admits one more once enough of the oldest sends in it have aged out.
      const freesAt = inWindow[inWindow.length - max]! + CAP_WINDOWS[window];
      return { code: "recipient_frequency_capped", window, max, retryAfter: wholeSeconds(freesAt - now) };
    }
  }
  return null;
}

/**
 * The checks a send passes, in this order; the first that fails is the answer, and a refused send
 * consumes nothing:
 * 1. the sandbox (live keys: allow-listed recipients only), 2. the block list (opt-outs included),
 * 3. API requests per second (not for batch messages), 4. messages per second, 5. the daily quota,
 * 6. per-recipient caps (shortest window first; allow-listed numbers are exempt outside the sandbox),
 * 7. balance (only when the send is charged). Exempt tenants stop after 2.
 */
export function firstRefusal(snapshot: MeterSnapshot, send: SendFacts, now: number): Refusal | null {
  const { limits } = snapshot;
  if (send.sandbox && !snapshot.allowlisted) return { code: "sandbox_recipient_not_allowed" };
  if (snapshot.blocked && !send.keywordReply) return { code: snapshot.blocked.source === "opt_out" ? "recipient_opted_out" : "recipient_blocked" };
  if (send.exempt) return null;
  if (!send.batch && snapshot.requests.tokens < 1) {
    return { code: "rate_limited", limit: "requests", retryAfter: secondsUntilAvailable(snapshot.requests, requestRule(limits)) };
  }
  if (snapshot.messages.tokens < 1) {
    return { code: "rate_limited", limit: "messages", retryAfter: secondsUntilAvailable(snapshot.messages, messageRule(limits)) };
  }
  if (snapshot.sentToday >= limits.daily_quota) {
    return { code: "quota_exceeded", quota: limits.daily_quota, retryAfter: wholeSeconds(nextUtcMidnight(now) - now) };
  }
  const capped = snapshot.allowlisted && !send.sandbox ? null : capRefusal(limits, send.type, snapshot.recipientSends, now);
  if (capped) return capped;
  if (send.price > snapshot.balance) {
    return { code: "insufficient_balance", balance: snapshot.balance, price: send.price };
  }
  return null;
}

/** A token bucket as a quota policy: q is its burst, w the time it takes to fill from empty. */
function bucketQuota(name: string, rule: BucketRule, bucket: Bucket): QuotaState {
  return {
    name,
    quota: rule.burst,
    window: Math.max(1, Math.ceil(rule.burst / rule.rate)),
    remaining: bucket.tokens,
    reset: secondsUntilFull(bucket, rule),
  };
}

/** The quotas a send answer advertises: the message bucket and the daily quota. */
export function sendQuotas(limits: Limits, messages: Bucket, sentToday: number, now: number): QuotaState[] {
  return [
    bucketQuota("messages", messageRule(limits), messages),
    {
      name: "daily",
      quota: limits.daily_quota,
      window: 86_400,
      remaining: Math.max(0, limits.daily_quota - sentToday),
      reset: wholeSeconds(nextUtcMidnight(now) - now),
    },
  ];
}

/** The quota every other API request advertises: the request bucket. */
export function requestQuotas(limits: Limits, requests: Bucket): QuotaState[] {
  return [bucketQuota("requests", requestRule(limits), requests)];
}
