/** Consecutive transient failures that open a carrier's circuit. */
export const BREAKER_THRESHOLD = 5;
/** How long an open circuit skips its carrier before one probe may try it. */
export const BREAKER_COOLDOWN_MS = 30_000;

export type BreakerState = "closed" | "open" | "half_open";

export function breakerState(health: { openUntil: number | null } | undefined, now: number): BreakerState {
  if (!health?.openUntil) return "closed";
  return health.openUntil > now ? "open" : "half_open";
}

/**
 * The simulator fails on purpose, per number (0003 is "unavailable" for every try): that is a scripted
 * outcome, not an outage, so it never opens a circuit that would stall every tenant's test traffic.
 */
export const WITHOUT_BREAKER: readonly string[] = ["simulator"];

/**
 * The failures that say a carrier is unwell (unreachable, slow, failing, throttling, refusing our account) and
 * so count toward its breaker. A failure about the message or the tenant's own set-up (no sender, a sender
 * or destination the carrier will not take, an unreadable body) never does: a breaker is shared by every
 * tenant, and one tenant's configuration must not open it for all.
 */
const CARRIER_FAULTS: ReadonlySet<string> = new Set([
  "carrier_timeout",
  "carrier_unreachable",
  "carrier_unavailable",
  "carrier_throttled",
  "carrier_auth_failed",
  "carrier_config_error",
  "carrier_quota_exceeded",
  "carrier_error",
]);

export const isCarrierFault = (code: string): boolean => CARRIER_FAULTS.has(code);
