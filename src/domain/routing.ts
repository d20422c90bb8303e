import { z } from "zod";

export const RouteEntry = z.object({
  carrier: z.string().min(1).max(32),
  weight: z.number().int().min(1).max(1000).optional(),
});
export type RouteEntry = z.infer<typeof RouteEntry>;

/** A route's key for every country without one of its own. */
export const DEFAULT_ROUTE = "default";

/** 32-bit FNV-1a: spreads message ids evenly over a route's weights (not a secret). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The carriers a message tries, in order. The first is drawn by weight (the same for the same message, so
 * a redelivery makes the same choice); the rest follow in the route's order, wrapping around. Without
 * weights the route's first carrier comes first.
 */
export function carrierOrder(entries: readonly RouteEntry[], messageId: string): string[] {
  if (entries.length === 0) return [];
  const weights = entries.map((e) => e.weight ?? (entries.some((x) => x.weight !== undefined) ? 1 : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  let start = 0;
  if (total > 0) {
    let ticket = hash(messageId) % total;
    start = weights.findIndex((w) => (ticket -= w) < 0);
  }
  return entries.map((_, i) => entries[(start + i) % entries.length]!.carrier);
}

/**
 * The carrier for the next try: the one after `lastTried` in `order` (the first for a first try) that is
 * not skipped. When every carrier is skipped, null: the try waits for a cool-down to end.
 */
export function nextCarrier(order: readonly string[], lastTried: string | null, skip: (carrier: string) => boolean): string | null {
  const from = lastTried === null ? 0 : order.indexOf(lastTried) + 1;
  for (let i = 0; i < order.length; i += 1) {
    const carrier = order[(from + i) % order.length]!;
    if (!skip(carrier)) return carrier;
  }
  return null;
}
