import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { insertJsonRows } from "../db/json-rows";
import type { Db } from "../db/client";
import { simulatorSubmissions } from "../db/schema";
import { newId } from "../lib/ids";
import { signWebhook } from "../lib/standard-webhooks";
import type { CarrierAdapter, OutboundSms, SubmitResult } from "./types";

export const SIMULATOR = "simulator";
export const SIMULATOR_STATUS_PATH = "/webhooks/simulator/status";
/** Seconds between the simulator accepting a message and posting its receipts. */
export const RECEIPT_DELAY_SECONDS = 1;

export const SimulatorReceipt = z
  .object({
    message_id: z.string().min(1).max(64),
    status: z.enum(["sent", "delivered", "undelivered"]),
    error_code: z.string().max(64).nullable().optional(),
    occurred_at: z.iso.datetime(),
    // Our message id, echoed as a carrier echoes a client reference.
    reference: z.string().max(64).nullable().optional(),
  })
  .openapi("SimulatorReceipt", { description: "A delivery receipt in the simulator carrier's format." });
export type SimulatorReceipt = z.infer<typeof SimulatorReceipt>;
/** The simulator's status webhook takes one receipt, or a push of many in order. */
export const SimulatorReceipts = z
  .union([SimulatorReceipt, z.array(SimulatorReceipt).min(1).max(500)])
  .openapi("SimulatorReceipts", { description: "One receipt, or an array of up to 500 applied in order." });

export type SimulatorOutcome = "delivered" | "undelivered" | "rejected" | "unavailable" | "delivered_with_faults";

/** Outcomes are fixed by the number's last four digits, so every path can be tried on purpose. */
export function simulatorOutcome(e164: string): SimulatorOutcome {
  switch (e164.slice(-4)) {
    case "0001":
      return "undelivered";
    case "0002":
      return "rejected";
    case "0003":
      return "unavailable";
    case "0004":
      return "delivered_with_faults";
    default:
      return "delivered";
  }
}

/** The receipts the simulator posts for an accepted message, in the order it posts them. */
export function plannedReceipts(outcome: SimulatorOutcome, carrierMessageId: string, at: Date, reference: string | null = null): SimulatorReceipt[] {
  const receipt = (status: SimulatorReceipt["status"], error_code: string | null = null, ms = 0) => ({
    message_id: carrierMessageId,
    status,
    error_code,
    occurred_at: new Date(at.getTime() + ms).toISOString(),
    reference,
  });
  switch (outcome) {
    case "undelivered":
      return [receipt("undelivered", "handset_unreachable")];
    // A duplicate of the final receipt, then a stale intermediate one: the faults real carriers produce.
    case "delivered_with_faults":
      return [receipt("delivered"), receipt("delivered"), receipt("sent", null, -500)];
    default:
      return [receipt("delivered")];
  }
}

export interface SimulatorDeps {
  db: Db;
  /** Schedules receipts to be posted later: the simulator never answers inside the submit call. */
  scheduleReceipts(receipts: SimulatorReceipt[], delaySeconds: number): Promise<unknown>;
  now?: () => Date;
}

type SubmissionRow = typeof simulatorSubmissions.$inferSelect;

/**
 * The simulator's own records, written like a carrier's: the submits that arrive together (a consumer
 * batch's, at once) share one INSERT, and each submit answers only once its row is stored.
 */
function submissionLog(db: Db) {
  let pending: SubmissionRow[] = [];
  let written: Promise<void> | null = null;
  return (row: SubmissionRow): Promise<void> => {
    pending.push(row);
    written ??= (async () => {
      // Let every submit already under way add its row first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const rows = pending;
      pending = [];
      written = null;
      await db.run(insertJsonRows(simulatorSubmissions, rows));
    })();
    return written;
  };
}

export function createSimulator(deps: SimulatorDeps): CarrierAdapter {
  const record = submissionLog(deps.db);
  return {
    name: SIMULATOR,
    // In-process, no network: a whole consumer batch (100 jobs of 25) goes at once, so its records share one write.
    concurrency: 2_500,
    async submit(sms: OutboundSms): Promise<SubmitResult> {
      const outcome = simulatorOutcome(sms.to);
      if (outcome === "rejected") {
        return { ok: false, retryable: false, code: "rejected_by_carrier", message: "The simulator rejects numbers ending 0002." };
      }
      if (outcome === "unavailable") {
        return { ok: false, retryable: true, code: "carrier_unavailable", message: "The simulator is unavailable for numbers ending 0003." };
      }
      const now = deps.now?.() ?? new Date();
      const id = newId("simulatorMessage", now.getTime());
      await record({ id, outcome, createdAt: now.getTime(), messageId: sms.messageId });
      await deps.scheduleReceipts(plannedReceipts(outcome, id, now, sms.reference), RECEIPT_DELAY_SECONDS);
      return { ok: true, carrierMessageIds: [id] };
    },
    async lookup(messageIds) {
      const rows = await deps.db.all<{ id: string; message_id: string }>(
        sql`SELECT id, message_id FROM simulator_submissions WHERE message_id IN (SELECT value FROM json_each(${JSON.stringify(messageIds)}))`,
      );
      return new Map(rows.map((row) => [row.message_id, [row.id]]));
    },
  };
}


/** Receipts per request: a push stays well under the webhook's 64 KiB body limit. */
export const RECEIPTS_PER_POST = 250;

/**
 * Posts receipts to the gateway's webhook as a carrier that pushes in bulk does (Alibaba Cloud's SmsReport
 * is the model): one signed request with a JSON array, in the order they were made, through `deliver` (the
 * app's own fetch). Throws if the gateway does not take them, so the queue retries; receipts are idempotent.
 */
export async function postReceipts(
  receipts: SimulatorReceipt[],
  secret: string,
  deliver: (request: Request) => Response | Promise<Response>,
): Promise<void> {
  for (let i = 0; i < receipts.length; i += RECEIPTS_PER_POST) {
    const body = JSON.stringify(receipts.slice(i, i + RECEIPTS_PER_POST));
    const headers = await signWebhook(secret, newId("simulatorMessage"), Math.floor(Date.now() / 1000), body);
    const response = await deliver(
      new Request(`https://gateway.internal${SIMULATOR_STATUS_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );
    if (!response.ok) throw new Error(`gateway answered ${response.status} to simulator receipts`);
  }
}
