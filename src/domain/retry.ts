/** Carrier submissions a message gets before a transient error becomes final. */
export const MAX_SEND_ATTEMPTS = 5;
const BASE_DELAY_SECONDS = 5;
const MAX_DELAY_SECONDS = 300;

/**
 * Seconds to wait before the next try after `attempt` (1-based) failed transiently:
 * 5, 10, 20, 40 — a message that never gets through is failed about 75 s after its first try.
 */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(BASE_DELAY_SECONDS * 2 ** (attempt - 1), MAX_DELAY_SECONDS);
}
