import { and, eq, isNull, lt, or } from "drizzle-orm";
import { carrierAdapter } from "../carriers/registry";
import type { Db } from "../db/client";
import { messages, type MessageRow } from "../db/schema";
import { log } from "../lib/log";
import { refundMessages } from "../services/billing";
import { SUBMIT_INTERRUPTED, SUBMIT_UNCONFIRMED } from "../domain/message-status";
import { RECLAIM_UNHANDED_AFTER_MS, settleSends, type SendSettlement } from "../services/delivery";
import type { EventOutbox } from "../services/events";
import { carriersFor, routeTable } from "../services/carrier-routes";
import { enqueueSends } from "../queues/jobs";

/**
 * A message still `sending` this long after its claim lost its consumer (the Worker died, or D1 and the
 * fallback queue both refused its outcome). Above the longest a queue consumer can run (15 minutes of wall
 * time), so a consumer still at work never has a message taken from it.
 */
export const RECONCILE_SENDING_AFTER_MS = 16 * 60 * 1000;
/** Per cron run; a larger backlog is reconciled over the following minutes. */
export const RECONCILE_PER_RUN = 100;

type ReconcileEnv = Pick<Env, "METER" | "SEND_QUEUE" | "LIVE_CARRIER" | "PUBLIC_BASE_URL" | "TWILIO_ACCOUNT_SID" | "TWILIO_AUTH_TOKEN" | "TWILIO_MESSAGING_SERVICE_SID" | "VONAGE_API_KEY" | "VONAGE_API_SECRET">;

/**
 * What became of messages stuck in `sending`, without sending anything again (Twilio and Vonage take no
 * idempotency key, so a blind resend could reach the handset twice):
 * - one never handed to a carrier (its consumer died before its wave): back to `queued`, its send job enqueued;
 * - a carrier of the route that can be asked (`lookup`) has it: `sent` with its ids, and its held receipts apply;
 * - every carrier of the route can be asked and none has it: it provably never left, so `failed`
 *   (`submit_interrupted`) and refunded once;
 * - otherwise the outcome is unknown: `sent` with `submit_unconfirmed`, not refunded (it may be on its way);
 *   a receipt settles it, or it expires 72 hours later like any message whose receipt never comes.
 * One read, one lookup per carrier that has one, one D1 batch to record it all.
 */
export async function reconcileSending(env: ReconcileEnv, db: Db, control: Db, now: number, events?: EventOutbox): Promise<number> {
  const stuck = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.status, "sending"),
        lt(messages.updatedAt, now - RECLAIM_UNHANDED_AFTER_MS),
        or(isNull(messages.handedAt), lt(messages.updatedAt, now - RECONCILE_SENDING_AFTER_MS)),
      ),
    )
    .orderBy(messages.updatedAt)
    .limit(RECONCILE_PER_RUN);
  if (stuck.length === 0) return 0;

  const table = await routeTable(control);
  const routes = new Map(stuck.map((row) => [row.id, carriersFor(table, row, env.LIVE_CARRIER)]));
  const adapters = new Map([...new Set([...routes.values()].flat())].map((carrier) => [carrier, carrierAdapter(carrier, env, { db: control, scheduleReceipts: async () => {} })]));
  const found = new Map<string, { carrier: string; ids: string[] }>();
  for (const [carrier, adapter] of adapters) {
    if (!adapter?.lookup) continue;
    const asked = stuck.filter((row) => routes.get(row.id)!.includes(carrier)).map((row) => row.id);
    for (const [id, ids] of await adapter.lookup(asked)) if (ids.length > 0) found.set(id, { carrier, ids });
  }

  const settlements = stuck.map((row) => settlementFor(row, routes.get(row.id)!, adapters, found.get(row.id)));
  const { moved } = await settleSends(db, settlements, [], now, events);
  await refundMessages(env, db, moved.filter((row) => row.status === "failed"));
  // A lost enqueue loses nothing: a message `queued` too long is re-enqueued by the sweeper.
  await enqueueSends(env.SEND_QUEUE, moved.filter((row) => row.status === "queued").map((row) => row.id));
  log.warn("reconciled_sending", {
    count: moved.length,
    unconfirmed: moved.filter((row) => row.errorCode === SUBMIT_UNCONFIRMED).length,
    interrupted: moved.filter((row) => row.errorCode === SUBMIT_INTERRUPTED).length,
  });
  return moved.length;
}

function settlementFor(
  row: MessageRow,
  route: string[],
  adapters: Map<string, ReturnType<typeof carrierAdapter>>,
  held: { carrier: string; ids: string[] } | undefined,
): SendSettlement {
  if (row.handedAt === null && !held) {
    return { id: row.id, status: "queued", detail: "reconciled: its consumer stopped before handing it to a carrier; queued again" };
  }
  if (held) {
    return {
      id: row.id,
      status: "sent",
      carrier: held.carrier,
      carrierMessageId: held.ids[0]!,
      parts: held.ids.length,
      submittedAt: row.updatedAt,
      errorCode: null,
      errorMessage: null,
      detail: `reconciled: ${held.carrier} has it as ${held.ids.join(", ")}`,
      partIds: held.ids,
    };
  }
  if (route.length > 0 && route.every((carrier) => adapters.get(carrier)?.lookup)) {
    return {
      id: row.id,
      status: "failed",
      errorCode: SUBMIT_INTERRUPTED,
      errorMessage: "The send was interrupted before any carrier took the message.",
      detail: `reconciled: no carrier of the route (${route.join(", ")}) has it`,
    };
  }
  return {
    id: row.id,
    status: "sent",
    submittedAt: row.updatedAt,
    errorCode: SUBMIT_UNCONFIRMED,
    errorMessage: "The carrier's answer to the submit was lost; its receipt will settle the message, or it expires 72 hours after submission.",
    detail: "reconciled: the carrier's answer was lost; not sent again",
  };
}
