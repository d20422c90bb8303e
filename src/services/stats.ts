import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import type { KeyMode } from "../domain/api-key";
import type { MessageStatus } from "../domain/message-status";
import {
  HOUR_MS,
  localDay,
  localDayStart,
  metricsOf,
  offsetSpans,
  type AdminStatsGroup,
  type Granularity,
  type GroupMetrics,
  type StatsReport,
  type OffsetSpan,
  type RollupCell,
} from "../domain/stats";

export interface StatsQuery {
  from: number;
  to: number;
  granularity: Granularity;
  tz: string;
  groupBy?: AdminStatsGroup;
}

/** Whose rollup rows a report reads: one tenant's (in one key mode), or every tenant's for the operator. */
export interface StatsScope {
  tenantId?: string;
  mode: KeyMode;
}

const GROUP_COLUMNS: Record<AdminStatsGroup, string> = {
  status: "status",
  country: "country",
  type: "type",
  carrier: "carrier",
  template: "template_id",
  batch: "batch_id",
  tenant: "tenant_id",
};

interface Buckets {
  fromHour: number;
  toHour: number;
  /** SQL giving a rollup row's bucket number from its `hour`. */
  expression: SQL;
  /** Every bucket in the range, in order, with its first instant. */
  list: { bucket: number; start: number; date?: string }[];
}

/**
 * The report's buckets. Hours are UTC hours; days are local days in `tz`, widened to whole days, with
 * the zone's offset looked up for each stretch of the range (daylight saving moves it).
 */
function bucketsFor(query: StatsQuery): Buckets {
  const fromHour = Math.floor(query.from / HOUR_MS);
  const toHour = Math.ceil(query.to / HOUR_MS);
  if (query.granularity === "hour") {
    const list = [];
    for (let hour = fromHour; hour < toHour; hour++) list.push({ bucket: hour, start: hour * HOUR_MS });
    return { fromHour, toHour, expression: sql.raw("hour"), list };
  }
  // A day either side, so the first and last local days are whole whatever the offset.
  const spans = offsetSpans(query.tz, fromHour - 24, toHour + 24);
  const offsetAt = (hour: number) => spanAt(spans, hour).offsetMinutes;
  const firstDay = localDay(fromHour, offsetAt(fromHour));
  const lastDay = localDay(toHour - 1, offsetAt(toHour - 1));
  const dayStart = (day: number) => {
    // The offset in force at the day's start: take the one at noon UTC of the day before, then correct.
    const guess = localDayStart(day, offsetAt(day * 24));
    return localDayStart(day, offsetAt(guess / HOUR_MS));
  };
  const list = [];
  for (let day = firstDay; day <= lastDay; day++) {
    list.push({ bucket: day, start: dayStart(day), date: new Date(day * 86_400_000).toISOString().slice(0, 10) });
  }
  const expression = dayExpression(spans);
  return { fromHour: dayStart(firstDay) / HOUR_MS, toHour: dayStart(lastDay + 1) / HOUR_MS, expression, list };
}

function spanAt(spans: readonly OffsetSpan[], hour: number): OffsetSpan {
  let found = spans[0]!;
  for (const span of spans) if (span.fromHour <= hour) found = span;
  return found;
}

// Offsets and hours are integers this module computed, so they are written into the SQL as literals.
function dayExpression(spans: readonly OffsetSpan[]): SQL {
  const day = (offset: number) => `((hour * 60 + ${Math.trunc(offset)}) / 1440)`;
  if (spans.length === 1) return sql.raw(day(spans[0]!.offsetMinutes));
  const cases = spans.slice(1).map((span, i) => `WHEN hour < ${Math.trunc(span.fromHour)} THEN ${day(spans[i]!.offsetMinutes)}`);
  return sql.raw(`CASE ${cases.join(" ")} ELSE ${day(spans.at(-1)!.offsetMinutes)} END`);
}

interface Row {
  b: number;
  g: string | null;
  status: MessageStatus;
  latency_bucket: number;
  messages: number;
  segments: number;
  cost: number;
  sent: number;
}

/**
 * A report from the rollup: one grouped read of its rows for the range (never the messages table),
 * added up per bucket and group in code.
 */
/** The report over one database, or several (the operator's, over every shard): their rollup rows add up. */
export async function statsReport(databases: Db | readonly Db[], scope: StatsScope, query: StatsQuery): Promise<Omit<StatsReport, "currency">> {
  const buckets = bucketsFor(query);
  const group = query.groupBy ? sql.raw(GROUP_COLUMNS[query.groupBy]) : sql`NULL`;
  const tenant = scope.tenantId === undefined ? sql`` : sql`tenant_id = ${scope.tenantId} AND`;
  // The inner GROUP BY follows the table's key (hour, status, latency bucket lead), so without a group_by it
  // needs no sort over the range's rows; only its much smaller result is regrouped by bucket.
  const read = (db: Db) => db.all<Row>(sql`
    SELECT ${buckets.expression} AS b, g, status, latency_bucket,
      sum(messages) AS messages, sum(segments) AS segments, sum(cost) AS cost, sum(sent) AS sent
    FROM (
      SELECT hour, ${group} AS g, status, latency_bucket,
        sum(messages) AS messages, sum(segments) AS segments, sum(cost) AS cost, sum(sent) AS sent
      FROM message_stats
      WHERE ${tenant} mode = ${scope.mode} AND hour >= ${buckets.fromHour} AND hour < ${buckets.toHour}
      GROUP BY hour, status, latency_bucket, g
    )
    GROUP BY 1, 2, 3, 4`);
  const rows = (await Promise.all((Array.isArray(databases) ? databases : [databases]).map(read))).flat();

  const byBucket = groupRows(rows, (row) => row.b);
  const series = buckets.list.map(({ bucket, start, date }) => {
    const inBucket = byBucket.get(bucket) ?? [];
    const groups = groupsOf(inBucket, query.groupBy);
    return { start: new Date(start).toISOString(), ...(date ? { date } : {}), ...metricsOf(inBucket.map(cell)), ...(groups ? { groups } : {}) };
  });
  const groups = groupsOf(rows, query.groupBy);
  return {
    from: new Date(buckets.fromHour * HOUR_MS).toISOString(),
    to: new Date(buckets.toHour * HOUR_MS).toISOString(),
    granularity: query.granularity,
    tz: query.tz,
    group_by: query.groupBy ?? null,
    totals: { ...metricsOf(rows.map(cell)), ...(groups ? { groups } : {}) },
    series,
  };
}

function cell(row: Row): RollupCell {
  return { status: row.status, latencyBucket: row.latency_bucket, messages: row.messages, segments: row.segments, cost: row.cost, sent: row.sent };
}

/** Metrics per group key, for a grouped report; groups with no message left out. ('' is "none": null.) */
function groupsOf(rows: readonly Row[], groupBy: AdminStatsGroup | undefined): GroupMetrics[] | undefined {
  if (!groupBy) return undefined;
  return [...groupRows(rows, (row) => row.g ?? "")]
    .filter(([, group]) => group.some((row) => row.messages !== 0))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => ({ key: key === "" ? null : key, ...metricsOf(group.map(cell)) }));
}

function groupRows<K>(rows: readonly Row[], keyOf: (row: Row) => K): Map<K, Row[]> {
  const groups = new Map<K, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
