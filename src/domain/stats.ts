import { TtlCache } from "../lib/ttl-cache";
import type { MessageStatus } from "./message-status";

/**
 * Delivery analytics, as pure code: the rollup's latency buckets, the metrics a set of rollup rows adds
 * up to, and how hours fold into the buckets of a report. Rollup rows are kept by SQL triggers on the
 * messages table (migrations/0010_stats_alerts.sql), so every status change updates them in its own write.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Upper edges (inclusive) of the accept-to-delivered latency buckets, in ms; the last bucket is open.
 * The trigger's CASE in migrations/0010_stats_alerts.sql writes the same edges.
 */
export const LATENCY_EDGES_MS = [
  1_000, 2_000, 3_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000,
  21_600_000, 86_400_000, 259_200_000,
] as const;

/** The bucket a delivered message's latency falls in: the first edge at or above it. */
export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_EDGES_MS.findIndex((edge) => latencyMs <= edge);
  return index === -1 ? LATENCY_EDGES_MS.length : index;
}

/** What a delivered message's latency is measured from: acceptance, or when it fell due if it was scheduled. */
export function latencyStart(createdAt: number, sendAt: number | null): number {
  return Math.max(createdAt, sendAt ?? 0);
}

export const STATS_GROUPS = ["status", "country", "type", "carrier", "template", "batch"] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];
/** Operators can also group by tenant. */
export const ADMIN_STATS_GROUPS = [...STATS_GROUPS, "tenant"] as const;
export type AdminStatsGroup = (typeof ADMIN_STATS_GROUPS)[number];

export const GRANULARITIES = ["hour", "day"] as const;
export type Granularity = (typeof GRANULARITIES)[number];
/** The longest range a report may span. */
export const MAX_RANGE_MS = 90 * DAY_MS;

/**
 * What a report costs from the tenant's API request rate: one request per day of range it reads (its
 * database time grows with the range), so a tenant's reports cannot crowd out everyone's sends.
 */
export function reportCost(from: number, to: number): number {
  return Math.max(1, Math.ceil((to - from) / DAY_MS));
}

/** One rollup row as a report reads it: counts of messages of one status (and latency bucket). */
export interface RollupCell {
  status: MessageStatus;
  /** Delivered messages only: their latency bucket; -1 otherwise. */
  latencyBucket: number;
  messages: number;
  segments: number;
  cost: number;
  /** Messages a carrier accepted (whatever their status now). */
  sent: number;
}

/** The figures of a report, its totals, each bucket and each group (the API's schema: src/routes/stats/schemas.ts). */
export interface Metrics {
  submitted: number;
  sent: number;
  delivered: number;
  undelivered: number;
  failed: number;
  expired: number;
  canceled: number;
  pending: number;
  segments: number;
  cost: number;
  delivery_rate: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

export interface GroupMetrics extends Metrics {
  key: string | null;
}

export interface SeriesPoint extends Metrics {
  start: string;
  date?: string;
  groups?: GroupMetrics[];
}

/** A report: its range as widened to whole buckets, totals and the series (with groups when asked). */
export interface StatsReport {
  from: string;
  to: string;
  granularity: Granularity;
  tz: string;
  group_by: AdminStatsGroup | null;
  currency: string;
  totals: Metrics & { groups?: GroupMetrics[] };
  series: SeriesPoint[];
}

const PENDING: readonly MessageStatus[] = ["scheduled", "queued", "sending", "sent"];

/** Adds rollup cells up to a report's metrics. */
export function metricsOf(cells: readonly RollupCell[]): Metrics {
  const byStatus = new Map<MessageStatus, number>();
  const histogram = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
  let submitted = 0;
  let sent = 0;
  let segments = 0;
  let cost = 0;
  for (const cell of cells) {
    submitted += cell.messages;
    sent += cell.sent;
    segments += cell.segments;
    cost += cell.cost;
    byStatus.set(cell.status, (byStatus.get(cell.status) ?? 0) + cell.messages);
    if (cell.status === "delivered" && cell.latencyBucket >= 0) histogram[cell.latencyBucket]! += cell.messages;
  }
  const count = (status: MessageStatus) => byStatus.get(status) ?? 0;
  const delivered = count("delivered");
  const finished = delivered + count("undelivered") + count("failed") + count("expired");
  return {
    submitted,
    sent,
    delivered,
    undelivered: count("undelivered"),
    failed: count("failed"),
    expired: count("expired"),
    canceled: count("canceled"),
    pending: PENDING.reduce((sum, status) => sum + count(status), 0),
    segments,
    cost,
    delivery_rate: finished === 0 ? null : delivered / finished,
    latency_p50_ms: percentile(histogram, 0.5),
    latency_p95_ms: percentile(histogram, 0.95),
  };
}

/**
 * The upper edge of the bucket that holds the q-quantile (nearest rank). The open last bucket reports
 * its lower edge: "more than three days".
 */
export function percentile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return LATENCY_EDGES_MS[Math.min(i, LATENCY_EDGES_MS.length - 1)]!;
  }
  return null;
}

/** A stretch of hours over which a time zone keeps one UTC offset. */
export interface OffsetSpan {
  /** First hour (hours since the epoch) the offset applies from. */
  fromHour: number;
  offsetMinutes: number;
}

// Keyed by what the client sent (zones are case-insensitive, so by its lower case), hence bounded.
const offsetFormatters = new TtlCache<Intl.DateTimeFormat>(Number.POSITIVE_INFINITY, 500);

/** Formatters held by this isolate (bounded; tests read it). */
export const zoneFormatterCount = () => offsetFormatters.size;

/** Is `tz` an IANA zone this runtime knows? */
export function isTimeZone(tz: string): boolean {
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  const key = tz.toLowerCase();
  return (
    offsetFormatters.get(key) ??
    offsetFormatters.set(key, new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }))
  );
}

/** The zone's offset from UTC at `at` (ms), in minutes. */
export function offsetMinutes(tz: string, at: number): number {
  const parts = Object.fromEntries(formatterFor(tz).formatToParts(at).map((p) => [p.type, p.value]));
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return Math.round((local - Math.floor(at / 60_000) * 60_000) / 60_000);
}

/**
 * The zone's offsets over [fromHour, toHour): one span per offset in force, found by sampling every six
 * hours and narrowing down to the hour where the offset changes (zones change on the hour or half hour).
 */
export function offsetSpans(tz: string, fromHour: number, toHour: number): OffsetSpan[] {
  const at = (hour: number) => offsetMinutes(tz, hour * HOUR_MS);
  const spans: OffsetSpan[] = [{ fromHour, offsetMinutes: at(fromHour) }];
  for (let hour = fromHour; hour < toHour; ) {
    const next = Math.min(hour + 6, toHour);
    const current = spans.at(-1)!.offsetMinutes;
    if (at(next) !== current) {
      let low = hour;
      let high = next;
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (at(mid) === current) low = mid;
        else high = mid;
      }
      if (high < toHour) spans.push({ fromHour: high, offsetMinutes: at(high) });
      hour = high;
    } else hour = next;
  }
  return spans;
}

/** The local day (days since the epoch, in the zone) an hour falls in, given the offset in force. */
export function localDay(hour: number, offsetMinutes: number): number {
  return Math.floor((hour * 60 + offsetMinutes) / 1440);
}

/**
 * The UTC instant a local day's first whole hour starts. In zones a half hour off UTC, the hour that
 * straddles local midnight counts in the day before (the rollup is hourly).
 */
export function localDayStart(day: number, offsetMinutes: number): number {
  return Math.ceil((day * 1440 - offsetMinutes) / 60) * HOUR_MS;
}
