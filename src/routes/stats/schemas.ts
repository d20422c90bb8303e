import { z } from "@hono/zod-openapi";
import { KEY_MODES } from "../../domain/api-key";
import { ADMIN_STATS_GROUPS, DAY_MS, GRANULARITIES, isTimeZone, MAX_RANGE_MS, STATS_GROUPS } from "../../domain/stats";
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
