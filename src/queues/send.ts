import { sql } from "drizzle-orm";
import { carrierAdapter } from "../carriers/registry";
import type { SimulatorDeps } from "../carriers/simulator";
import type { CarrierAdapter } from "../carriers/types";
import type { Db } from "../db/client";
import type { ShardScope } from "../db/shards";
import { SUBMIT_UNCONFIRMED } from "../domain/message-status";
import { refundMessages } from "../services/billing";
import { decryptText } from "../lib/data-crypto";
import { deliverBatch, settleSends, type CarrierPlan, type SendSettlement } from "../services/delivery";
import type { EventOutbox } from "../services/events";
import { carriersFor, routeTable } from "../services/carrier-routes";
import { enqueueSettlements } from "./jobs";

/** The carriers for one consumer batch: routes (cached per isolate), one adapter per carrier, a durable fallback for outcomes. */
export async function carrierPlan(
  env: Env,
  shard: string,
  control: Db,
  scheduleReceipts: SimulatorDeps["scheduleReceipts"],
  events?: EventOutbox,
): Promise<CarrierPlan> {
  const table = await routeTable(control);
  const adapters = new Map<string, CarrierAdapter | null>();
  return {
    shard,
    control,
    order: (message) => carriersFor(table, message, env.LIVE_CARRIER),
    adapter: (carrier) => {
      if (!adapters.has(carrier)) adapters.set(carrier, carrierAdapter(carrier, env, { db: control, scheduleReceipts }));
      return adapters.get(carrier)!;
    },
    openBody: (message) => decryptText(env.DATA_ENCRYPTION_KEY, message.tenantId, message.body),
    events,
    settleLater: async (settlements) => {
      await enqueueSettlements(env.SEND_QUEUE, settlements);
    },
  };
}

/**
 * The send consumer: every message of the consumer batch's jobs in one claim, concurrent submits and one
 * record (src/services/delivery.ts), then each job acked, or retried after its backoff. A job whose messages
 * are not claimable (a duplicate, a redelivery, or settled already) is acked: it has nothing left to do. A
 * job of many whose messages need another try is retried whole, after the longest of their backoffs: its
 * redelivery claims only those (the others are no longer `queued`).
 */
export async function handleSends(
  { env, db, shard }: ShardScope,
  control: Db,
  jobs: { message: Message<unknown>; ids: string[] }[],
  deps: { scheduleReceipts: SimulatorDeps["scheduleReceipts"]; events: EventOutbox },
): Promise<void> {
  if (jobs.length === 0) return;
  const plan = await carrierPlan(env, shard, control, deps.scheduleReceipts, deps.events);
  const report = await deliverBatch(db, jobs.flatMap(({ ids }) => ids), plan);
  await refundMessages(env, db, report.refunds);
  const retried = new Set<string>();
  for (const { message, ids } of jobs) {
    // One retry per message, even if the queue delivered its job twice in this batch.
    const delays = ids.flatMap((id) => {
      const outcome = report.outcomes.get(id);
      if (outcome?.kind !== "retry" || retried.has(id)) return [];
      retried.add(id);
      return [outcome.delaySeconds];
    });
    if (delays.length > 0) message.retry({ delaySeconds: Math.max(...delays) });
    else message.ack();
  }
}

/** Outcomes a send consumer could not record when it had them: recorded now, as it would have. */
export async function recordSettlements(env: Env, db: Db, settlements: SendSettlement[], events?: EventOutbox): Promise<void> {
  const now = Date.now();
  // The reconciler may have got there first and left the message `sent`, unconfirmed: what the carrier said wins.
  const unconfirmed = sql`(messages.status = 'sent' AND messages.error_code = ${SUBMIT_UNCONFIRMED})`;
  const settled = await settleSends(db, settlements, [], now, events, { orWhere: unconfirmed });
  await refundMessages(env, db, settled.moved.filter((row) => row.status === "failed"));
}
