import { z } from "@hono/zod-openapi";
import { KEY_MODES } from "../../domain/api-key";
import { ADMIN_STATS_GROUPS, DAY_MS, GRANULARITIES, isTimeZone, MAX_RANGE_MS, STATS_GROUPS, type StatsReport as StatsReportType } from "../../domain/stats";
import type { StatsQuery } from "../../services/stats";

// An instant: a full ISO 8601 date-time with its zone, or a date (its UTC midnight).
const Instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/, "Expected an ISO 8601 date or date-time with a zone, e.g. 2026-11-29 or 2026-11-29T08:00:00Z.")
  .transform((value, ctx) => {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    // Date.parse rolls 2026-02-30 over to March; a real date reads back as itself.
    const day = value.slice(0, 10);
    const sameDay = [0, 14 * 60, -14 * 60].some((shift) => new Date(ms + shift * 60_000).toISOString().slice(0, 10) === day);
    if (Number.isNaN(ms) || !sameDay) {
      ctx.addIssue({ code: "custom", message: "Not a real date." });
      return z.NEVER;
    }
    return ms;
  });

const baseQuery = {
  from: Instant.optional().openapi({ description: "Start of the range (default: `to` minus 7 days, or minus 24 hours for `granularity=hour`)." }),
  to: Instant.optional().openapi({ description: "End of the range (default: now). Widened to whole hours, or whole local days." }),
  granularity: z.enum(GRANULARITIES).default("day"),
  tz: z
    .string()
    .default("UTC")
    .refine(isTimeZone, "Unknown time zone: use an IANA name such as Asia/Shanghai.")
    .openapi({ description: "IANA time zone the days are counted in (default UTC)." }),
};

type Parsed = { from?: number; to?: number; granularity: StatsQuery["granularity"]; tz: string; group_by?: StatsQuery["groupBy"] };

/** Fills the defaults and checks the range: `from` before `to`, at most 90 days. */
function withRange<T extends Parsed>(query: T, ctx: z.RefinementCtx): T & { from: number; to: number } {
  const to = query.to ?? Date.now();
  const from = query.from ?? to - (query.granularity === "hour" ? DAY_MS : 7 * DAY_MS);
  if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`." });
  if (to - from > MAX_RANGE_MS) ctx.addIssue({ code: "custom", path: ["to"], message: "A report spans at most 90 days." });
  return { ...query, from, to };
}

export const StatsQuerySchema = z
  .object({ ...baseQuery, group_by: z.enum(STATS_GROUPS).optional().openapi({ description: "Break every figure down by this dimension." }) })
  .transform(withRange);

export const AdminStatsQuerySchema = z
  .object({
    ...baseQuery,
    group_by: z.enum(ADMIN_STATS_GROUPS).optional().openapi({ description: "Break every figure down by this dimension (`tenant` too)." }),
    tenant_id: z.string().optional().openapi({ description: "One tenant only." }),
    mode: z.enum(KEY_MODES).default("live").openapi({ description: "Live traffic (default) or test keys' traffic." }),
  })
  .transform(withRange);

export function toStatsQuery(query: Parsed & { from: number; to: number }): StatsQuery {
  return { from: query.from, to: query.to, granularity: query.granularity, tz: query.tz, groupBy: query.group_by };
}

const count = (description: string) => z.number().int().openapi({ description });

/** The figures of a report, its totals, each bucket and each group (src/domain/stats.ts has their type). */
const Metrics = z.object({
  submitted: count("Messages accepted."),
  sent: count("Of those, accepted by a carrier (whatever their status now)."),
  delivered: count("Delivered."),
  undelivered: count("The carrier could not deliver them."),
  failed: count("Failed before or at the carrier."),
  expired: count("No receipt within 72 hours of submission."),
  canceled: count("Canceled before submission."),
  pending: count("Not final yet: scheduled, queued, sending or sent."),
  segments: count("Segments of the accepted messages."),
  cost: count("Charged, net of refunds, in micro-units of `currency`."),
  delivery_rate: z.number().nullable().openapi({ description: "delivered ÷ (delivered + undelivered + failed + expired); null before any finished." }),
  latency_p50_ms: z.number().int().nullable().openapi({
    description: "Median time from acceptance (or, if scheduled, from when it fell due) to delivered: the upper edge of its latency bucket.",
  }),
  latency_p95_ms: z.number().int().nullable().openapi({ description: "95th percentile, the same way." }),
});

const GroupMetrics = Metrics.extend({ key: z.string().nullable().openapi({ description: "The group's value; null for none (no template, no batch)." }) });

const SeriesPoint = Metrics.extend({
  start: z.string().openapi({ description: "The bucket's first instant, UTC." }),
  date: z.string().optional().openapi({ description: "Day buckets: the local date in `tz`." }),
  groups: z.array(GroupMetrics).optional(),
});

/** A report: its range as widened to whole buckets, totals and the series (with groups when asked). */
export const StatsReport = z
  .object({
    from: z.string(),
    to: z.string(),
    granularity: z.enum(GRANULARITIES),
    tz: z.string(),
    group_by: z.enum(ADMIN_STATS_GROUPS).nullable(),
    currency: z.string(),
    totals: Metrics.extend({ groups: z.array(GroupMetrics).optional() }),
    series: z.array(SeriesPoint),
  })
  .openapi("StatsReport") satisfies z.ZodType<StatsReportType>;
