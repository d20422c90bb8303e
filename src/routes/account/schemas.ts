import { z } from "@hono/zod-openapi";
import { Limits } from "../../domain/limits";
import type { AccountState } from "../../meter/types";

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
