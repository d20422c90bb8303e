import { MESSAGE_TYPES, type MessageType } from "./message-status";

/** The windows a per-recipient cap can count over; each is a sliding window ending now. */
export const CAP_WINDOWS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type CapWindow = keyof typeof CAP_WINDOWS;
/** Send records older than the longest window can never count again, so they are deleted. */
export const LONGEST_CAP_WINDOW_MS = CAP_WINDOWS.day;

/** Most messages of one type to one recipient in each sliding window; null: no cap. */
export interface RecipientCap {
  per_minute: number | null;
  per_hour: number | null;
  per_day: number | null;
}

/** A tenant's limits (the API's schema: src/routes/account/schemas.ts). */
export interface Limits {
  messages_per_second: number;
  message_burst: number;
  requests_per_second: number;
  request_burst: number;
  /** Messages a UTC day; 0 stops sending. */
  daily_quota: number;
  recipient_caps: Record<MessageType, RecipientCap>;
}

/** What an operator may change: any subset, down to a single window of a single type. */
export type LimitsPatch = Partial<Omit<Limits, "recipient_caps">> & {
  recipient_caps?: Partial<Record<MessageType, Partial<RecipientCap>>>;
};

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
