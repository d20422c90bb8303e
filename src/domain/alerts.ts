/**
 * Alert rules, as pure code: what each kind measures and when it fires. The cron measures and calls
 * `isFiring`; a rule's event is sent only when the answer changes.
 */

export const ALERT_KINDS = ["delivery_rate_below", "failed_count_above", "balance_below"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATES = ["ok", "firing"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Longest window a rate or count rule may look back over. */
export const MAX_WINDOW_HOURS = 168;
/** A delivery-rate rule judges nothing until its window holds this many finished messages, unless told otherwise. */
export const DEFAULT_MIN_MESSAGES = 20;

export interface AlertRuleShape {
  kind: AlertKind;
  threshold: number;
  minMessages?: number | null;
}

/** What one evaluation measured. `value` null: nothing to judge (too few messages); the state stays. */
export interface Measurement {
  value: number | null;
  /** delivery_rate_below: finished messages in the window. */
  finished?: number;
}

/** The state a rule should be in after a measurement, or null to keep the one it has. */
export function nextState(rule: AlertRuleShape, measured: Measurement): AlertState | null {
  if (measured.value === null) return null;
  switch (rule.kind) {
    case "delivery_rate_below":
      if ((measured.finished ?? 0) < (rule.minMessages ?? DEFAULT_MIN_MESSAGES)) return null;
      return measured.value < rule.threshold ? "firing" : "ok";
    case "failed_count_above":
      return measured.value > rule.threshold ? "firing" : "ok";
    case "balance_below":
      return measured.value < rule.threshold ? "firing" : "ok";
  }
}

/** The first hour (since the epoch) a window of `windowHours` covers, ending with the current hour. */
export function windowStartHour(now: number, windowHours: number): number {
  return Math.floor(now / 3_600_000) - windowHours;
}
