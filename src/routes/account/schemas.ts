import { z } from "@hono/zod-openapi";
import { MESSAGE_TYPES, type MessageType } from "../../domain/message-status";
import type { QuietHours as QuietHoursType } from "../../domain/quiet-hours";
import type { Limits as LimitsType, LimitsPatch as LimitsPatchType, RecipientCap as RecipientCapType } from "../../domain/limits";
import type { AccountState } from "../../meter/types";

// A tenant's limits, as GET /v1/account and the operator's tenant API show and change them.
const cap = z.number().int().min(1).max(100_000).nullable();

const RecipientCap = z
  .object({ per_minute: cap, per_hour: cap, per_day: cap })
  .openapi("RecipientCap", { description: "Most messages of one type to one recipient in each sliding window; null: no cap." });

export const Limits = z
  .object({
    messages_per_second: z.number().int().min(1).max(10_000),
    message_burst: z.number().int().min(1).max(100_000),
    requests_per_second: z.number().int().min(1).max(10_000),
    request_burst: z.number().int().min(1).max(100_000),
    daily_quota: z.number().int().min(0).max(100_000_000).openapi({ description: "Messages a UTC day; 0 stops sending." }),
    recipient_caps: z.object(
      Object.fromEntries(MESSAGE_TYPES.map((type) => [type, RecipientCap])) as Record<MessageType, typeof RecipientCap>,
    ),
  })
  .openapi("Limits") satisfies z.ZodType<LimitsType>;

/** What an operator may change: any subset, down to a single window of a single type. */
export const LimitsPatch = Limits.extend({
  recipient_caps: z
    .object(
      Object.fromEntries(MESSAGE_TYPES.map((type) => [type, RecipientCap.partial().strict().optional()])) as Record<
        MessageType,
        z.ZodOptional<z.ZodObject<{ [K in keyof RecipientCapType]: z.ZodOptional<typeof cap> }>>
      >,
    )
    .strict(),
})
  .partial()
  .strict()
  .openapi("LimitsPatch") satisfies z.ZodType<LimitsPatchType>;

/** How long final messages are kept; the operator sets it (PATCH /v1/admin/tenants/{id}). */
export const retentionDays = z.number().int().min(1).max(400).openapi({
  description: "Days a final message (with its events, parts, receipts and webhook deliveries) is kept after its last change; then the cron deletes it. The statistics keep their counts.",
  example: 90,
});

const money = (description: string) => z.number().int().openapi({ description: `${description}, in micro-units of \`currency\`.` });

export const Account = z
  .object({
    tenant_id: z.string(),
    balance: money("What is left to spend"),
    currency: z.string().openapi({ example: "USD" }),
    metered: z.boolean().openapi({ description: "False only for tenants an operator exempted from metering." }),
    limits: Limits,
    retention_days: retentionDays,
    usage: z.object({
      today: z.object({
        date: z.string().openapi({ example: "2026-11-25", description: "The UTC day." }),
        messages: z.number().int(),
        segments: z.number().int(),
        spend: money("Reserved today"),
        quota_remaining: z.number().int(),
        resets_at: z.string().openapi({ description: "The next UTC midnight." }),
      }),
    }),
  })
  .openapi("Account");

export function presentAccount(tenantId: string, metered: boolean, retentionDays: number, currency: string, state: AccountState): z.infer<typeof Account> {
  const { today } = state;
  return {
    tenant_id: tenantId,
    balance: state.balance,
    currency,
    metered,
    limits: state.limits,
    retention_days: retentionDays,
    usage: {
      today: {
        date: today.day,
        messages: today.messages,
        segments: today.segments,
        spend: today.spend,
        quota_remaining: Math.max(0, state.limits.daily_quota - today.messages),
        resets_at: new Date(today.resetsAt).toISOString(),
      },
    },
  };
}

// On the quarter hour: every zone's offset is a whole number of quarter hours, so a hold, found by
// stepping through quarter hours, ends exactly at `end`.
const clock = z.string().regex(/^([01]\d|2[0-3]):(00|15|30|45)$/, "a time of day as HH:MM (24-hour), on the quarter hour");

export const QuietHours = z
  .object({
    enabled: z.boolean(),
    start: clock.openapi({ example: "21:00", description: "Local time the quiet window starts." }),
    end: clock.openapi({ example: "08:00", description: "Local time it ends; earlier than `start` means it spans midnight." }),
  })
  .refine((q) => q.start !== q.end, { path: ["end"], message: "the window must not be empty" })
  .openapi("QuietHours", {
    description:
      "Marketing messages due inside this window of the recipient's local time are held as `scheduled` until it ends. " +
      "For a country with several time zones, a time is quiet if it is quiet in any of them.",
  }) satisfies z.ZodType<QuietHoursType>;
