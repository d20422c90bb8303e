import { z } from "@hono/zod-openapi";
import { MESSAGE_TYPES, type MessageType } from "./message-status";

/** The windows a per-recipient cap can count over; each is a sliding window ending now. */
export const CAP_WINDOWS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type CapWindow = keyof typeof CAP_WINDOWS;
/** Send records older than the longest window can never count again, so they are deleted. */
export const LONGEST_CAP_WINDOW_MS = CAP_WINDOWS.day;

const cap = z.number().int().min(1).max(100_000).nullable();

export const RecipientCap = z
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
  .openapi("Limits");
export type Limits = z.infer<typeof Limits>;
export type RecipientCap = z.infer<typeof RecipientCap>;

/** What an operator may change: any subset, down to a single window of a single type. */
export const LimitsPatch = Limits.extend({
  recipient_caps: z
    .object(
      Object.fromEntries(MESSAGE_TYPES.map((type) => [type, RecipientCap.partial().strict().optional()])) as Record<
        MessageType,
        z.ZodOptional<z.ZodObject<{ [K in keyof RecipientCap]: z.ZodOptional<typeof cap> }>>
      >,
    )
    .strict(),
})
  .partial()
  .strict()
  .openapi("LimitsPatch");
export type LimitsPatch = z.infer<typeof LimitsPatch>;

export const DEFAULT_LIMITS: Limits = {
  messages_per_second: 50,
  message_burst: 100,
  requests_per_second: 100,
  request_burst: 200,
  daily_quota: 10_000,
  recipient_caps: {
    otp: { per_minute: 1, per_hour: 5, per_day: 10 },
    notification: { per_minute: null, per_hour: null, per_day: 50 },
    marketing: { per_minute: null, per_hour: null, per_day: 1 },
  },
};

export function applyLimitsPatch(limits: Limits, patch: LimitsPatch): Limits {
  const { recipient_caps: caps, ...rest } = patch;
  const merged: Limits = { ...limits, ...rest, recipient_caps: { ...limits.recipient_caps } };
  for (const type of MESSAGE_TYPES) {
    if (caps?.[type]) merged.recipient_caps[type] = { ...limits.recipient_caps[type], ...caps[type] };
  }
  return merged;
}

/** The caps of one type as (window, max) pairs, shortest window first. */
export function capsFor(limits: Limits, type: MessageType): { window: CapWindow; max: number }[] {
  const caps = limits.recipient_caps[type];
  const pairs: [CapWindow, number | null][] = [
    ["minute", caps.per_minute],
    ["hour", caps.per_hour],
    ["day", caps.per_day],
  ];
  return pairs.flatMap(([window, max]) => (max === null ? [] : [{ window, max }]));
}
