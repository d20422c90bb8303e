const DAY_MS = 86_400_000;

/** The UTC calendar day of a time, as `YYYY-MM-DD`: the daily quota's key. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** The next UTC midnight after `now`, when the daily quota resets. */
export function nextUtcMidnight(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}
