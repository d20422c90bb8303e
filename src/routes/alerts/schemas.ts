import { z } from "@hono/zod-openapi";
import type { AlertRuleRow } from "../../db/schema";
import { ALERT_KINDS, ALERT_STATES, DEFAULT_MIN_MESSAGES, MAX_WINDOW_HOURS } from "../../domain/alerts";
import { countryCode } from "../../lib/openapi";
import type { NewAlertRule } from "../../services/alerts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const CreateAlertBody = z
  .object({
    name: z.string().min(1).max(100).optional(),
    kind: z.enum(ALERT_KINDS).openapi({
      description:
        "`delivery_rate_below`: delivered ÷ finished over the window, below `threshold` (0–1). `failed_count_above`: failed messages " +
        "over the window, above `threshold`. `balance_below`: the balance, below `threshold` micro-units.",
    }),
    threshold: z.number().min(0),
    window_hours: z
      .number()
      .int()
      .min(1)
      .max(MAX_WINDOW_HOURS)
      .optional()
      .openapi({ description: "Rate and count rules: messages accepted in the current hour and this many before it (default 1)." }),
    country: countryCode.optional().openapi({ description: "Rate and count rules: only messages to this country." }),
    min_messages: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: `delivery_rate_below: finished messages the window needs before the rate is judged (default ${DEFAULT_MIN_MESSAGES}).` }),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.kind === "delivery_rate_below" && rule.threshold > 1) ctx.addIssue({ code: "custom", path: ["threshold"], message: "A delivery rate is between 0 and 1." });
    if (rule.kind !== "delivery_rate_below" && !Number.isInteger(rule.threshold)) ctx.addIssue({ code: "custom", path: ["threshold"], message: "Expected an integer." });
    if (rule.kind === "balance_below") {
      for (const field of ["window_hours", "country"] as const) {
        if (rule[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: "A balance rule has no window or country." });
      }
    }
    if (rule.kind !== "delivery_rate_below" && rule.min_messages !== undefined) {
      ctx.addIssue({ code: "custom", path: ["min_messages"], message: "Only delivery_rate_below rules take min_messages." });
    }
  })
  .openapi("CreateAlertRequest");

export function toNewRule(body: z.infer<typeof CreateAlertBody>): NewAlertRule {
  const windowed = body.kind !== "balance_below";
  return {
    name: body.name ?? null,
    kind: body.kind,
    threshold: body.threshold,
    windowHours: windowed ? (body.window_hours ?? 1) : null,
    country: body.country ?? null,
    minMessages: body.kind === "delivery_rate_below" ? (body.min_messages ?? DEFAULT_MIN_MESSAGES) : null,
  };
}

export const AlertRule = z
  .object({
    id: z.string().openapi({ example: "alr_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    name: z.string().nullable(),
    kind: z.enum(ALERT_KINDS),
    threshold: z.number(),
    window_hours: z.number().int().nullable(),
    country: z.string().nullable(),
    min_messages: z.number().int().nullable(),
    mode: z.enum(["test", "live"]).openapi({ description: "The traffic it watches: that of the key mode that made it." }),
    state: z.enum(ALERT_STATES),
    value: z.number().nullable().openapi({ description: "What the latest evaluation measured (null: too few messages to judge)." }),
    evaluated_at: z.string().nullable(),
    changed_at: z.string().nullable().openapi({ description: "When it last started or stopped firing." }),
    created_at: z.string(),
  })
  .openapi("AlertRule");

export const AlertRuleList = z.object({ data: z.array(AlertRule) }).openapi("AlertRuleList");

export function presentAlertRule(row: AlertRuleRow): z.infer<typeof AlertRule> {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    threshold: row.threshold,
    window_hours: row.windowHours,
    country: row.country,
    min_messages: row.minMessages,
    mode: row.mode,
    state: row.state,
    value: row.value,
    evaluated_at: iso(row.evaluatedAt),
    changed_at: iso(row.changedAt),
    created_at: iso(row.createdAt)!,
  };
}
