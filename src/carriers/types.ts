/** What a carrier adapter needs to submit one message. */
export interface OutboundSms {
  messageId: string;
  /** What the carrier keeps as our client reference and hands back on receipts: the message id and its shard (src/db/shards.ts). */
  reference: string;
  to: string;
  from: string | null;
  body: string;
  segments: number;
  encoding: "GSM-7" | "UCS-2";
}

export type SubmitResult =
  /** One id per part the carrier will report on separately (most carriers: one for the whole message). */
  | { ok: true; carrierMessageIds: [string, ...string[]] }
  /**
   * `retryable`: another try, here or at the next carrier of the route, may succeed (timeout, throttling,
   * outage, an account or route problem at this carrier). Otherwise the message itself is refused.
   * `code` is ours (see docs: carrier error mapping); `message` keeps the carrier's words.
   */
  | { ok: false; retryable: boolean; code: string; message: string; unknown?: false }
  /**
   * The carrier answered 2xx but the answer cannot be read (no id in it): it may well deliver the message,
   * so it is neither retried (a second copy could reach the handset) nor refunded.
   */
  | { ok: false; retryable: false; unknown: true; code: "carrier_answer_unreadable"; message: string };

/** A 2xx answer whose body names no message id. */
export const unreadableAnswer = (carrier: string, status: number): SubmitResult => ({
  ok: false,
  retryable: false,
  unknown: true,
  code: "carrier_answer_unreadable",
  message: `${carrier} answered ${status} without a message id it could be tracked by.`,
});

/** A handset's message as a carrier's inbound webhook gives it, in our terms. */
export interface InboundSms {
  carrierMessageId: string;
  from: string;
  to: string;
  text: string;
}

export interface CarrierAdapter {
  readonly name: string;
  /** Submits one consumer batch may have in flight at once with this carrier (default: SUBMITS_PER_CARRIER). */
  readonly concurrency?: number;
  submit(sms: OutboundSms): Promise<SubmitResult>;
  /**
   * Which of our messages the carrier holds, by our message id (a client reference it keeps), with the ids
   * it gave them. A carrier that offers this lets a send whose answer was lost be settled for certain.
   */
  lookup?(messageIds: readonly string[]): Promise<Map<string, string[]>>;
}

/** How long a submit may take before it counts as a transient failure. */
export const SUBMIT_TIMEOUT_MS = 10_000;

/**
 * A submit's HTTP call with a timeout. A timeout or a network error is transient; a response of any
 * status is the adapter's to read.
 */
export async function carrierFetch(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ ok: true; response: Response } | { ok: false; retryable: true; code: string; message: string }> {
  try {
    return { ok: true, response: await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }) };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return timedOut
      ? { ok: false, retryable: true, code: "carrier_timeout", message: `No answer within ${timeoutMs} ms.` }
      : { ok: false, retryable: true, code: "carrier_unreachable", message: String(error) };
  }
}

/** A carrier's HTTP status when its body says nothing more: 429 and 5xx are worth another try. */
export function httpFailure(status: number, message: string): Extract<SubmitResult, { ok: false; unknown?: false }> {
  if (status === 429) return { ok: false, retryable: true, code: "carrier_throttled", message };
  if (status >= 500) return { ok: false, retryable: true, code: "carrier_unavailable", message };
  if (status === 401 || status === 403) return { ok: false, retryable: true, code: "carrier_auth_failed", message };
  return { ok: false, retryable: false, code: "rejected_by_carrier", message };
}
