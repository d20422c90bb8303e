import type { Refusal } from "../domain/admission";
import { rateLimitHeaders, type QuotaState } from "../domain/rate-limit-headers";
import { ApiError } from "../lib/errors";

/** A meter refusal as the API error a client sees, with `Retry-After` and the RateLimit headers. */
export function refusalError(refusal: Refusal, quotas: readonly QuotaState[], currency: string): ApiError {
  const headers = rateLimitHeaders(quotas);
  switch (refusal.code) {
    case "sandbox_recipient_not_allowed":
      return new ApiError(
        "sandbox_recipient_not_allowed",
        "Your account is in the sandbox: live keys may send only to numbers on your allow list (PUT /v1/allowlist/{number}).",
        { headers },
      );
    case "recipient_blocked":
      return new ApiError("recipient_blocked", "This number is on your block list.", { headers });
    case "recipient_opted_out":
      return new ApiError("recipient_opted_out", "The recipient opted out of your messages; they can opt back in by replying START.", { headers });
    case "rate_limited":
      return new ApiError(
        "rate_limited",
        `Too many ${refusal.limit === "messages" ? "messages" : "API requests"} a second; retry in ${refusal.retryAfter} s.`,
        { extra: { limit: refusal.limit, retry_after: refusal.retryAfter }, headers: { ...headers, "Retry-After": String(refusal.retryAfter) } },
      );
    case "quota_exceeded":
      return new ApiError(
        "quota_exceeded",
        `The daily quota of ${refusal.quota} messages is used up; it resets at 00:00 UTC.`,
        { extra: { quota: refusal.quota, retry_after: refusal.retryAfter }, headers: { ...headers, "Retry-After": String(refusal.retryAfter) } },
      );
    case "recipient_frequency_capped":
      return new ApiError(
        "recipient_frequency_capped",
        `At most ${refusal.max} message${refusal.max === 1 ? "" : "s"} of this type to this recipient per ${refusal.window}; retry in ${refusal.retryAfter} s.`,
        {
          extra: { window: refusal.window, max: refusal.max, retry_after: refusal.retryAfter },
          headers: { ...headers, "Retry-After": String(refusal.retryAfter) },
        },
      );
    case "insufficient_balance":
      return new ApiError(
        "insufficient_balance",
        `The message costs ${refusal.price} and the balance is ${refusal.balance} (micro-units of ${currency}).`,
        { extra: { balance: refusal.balance, price: refusal.price, currency }, headers },
      );
  }
}
