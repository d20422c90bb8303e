import { TtlCache } from "../lib/ttl-cache";
import { getCountry } from "countries-and-timezones";

/** When marketing is held for the recipient's night, in local "HH:MM" on the quarter hour (the API's schema: src/routes/account/schemas.ts). */
export interface QuietHours {
  enabled: boolean;
  start: string;
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { enabled: true, start: "21:00", end: "08:00" };

/** How far ahead a hold looks for an opening: more than a day, so any non-empty window is found. */
const SEARCH_MS = 48 * 3_600_000;
/** Every zone's UTC offset is a whole number of quarter hours, so windows open on these boundaries. */
const STEP_MS = 15 * 60_000;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

// Building a formatter is the costly part of asking a zone its time: one per zone per isolate.
// Bounded: a tenant's quiet hours name their own zone.
const formatters = new TtlCache<Intl.DateTimeFormat>(Number.POSITIVE_INFINITY, 500);
function localMinutes(zone: string, at: number): number {
  const key = zone.toLowerCase();
  const format =
    formatters.get(key) ?? formatters.set(key, new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  const parts = format.formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

/** The IANA zones in use in a country (ISO 3166 alpha-2); none for a code the data does not know. */
export function zonesOf(country: string): string[] {
  return getCountry(country as Parameters<typeof getCountry>[0], { deprecated: false })?.timezones ?? [];
}

function quietIn(zone: string, at: number, start: number, end: number): boolean {
  const m = localMinutes(zone, at);
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * When a marketing message due at `at` to a number of `country` may go: null if now is fine, else the
 * first moment no zone of the country is inside the quiet window (the most conservative reading).
 * A country of unknown zones is never held; neither is one where no opening exists within two days.
 */
export function quietHoldUntil(country: string | null, at: number, settings: QuietHours): number | null {
  if (!settings.enabled || !country) return null;
  const zones = zonesOf(country);
  if (zones.length === 0) return null;
  const start = minutesOf(settings.start);
  const end = minutesOf(settings.end);
  const quietAt = (t: number) => zones.some((zone) => quietIn(zone, t, start, end));
  if (!quietAt(at)) return null;
  for (let t = Math.ceil(at / STEP_MS) * STEP_MS; t <= at + SEARCH_MS; t += STEP_MS) {
    if (!quietAt(t)) return t;
  }
  return null;
}
