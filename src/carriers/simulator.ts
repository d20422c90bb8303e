import { z } from "@hono/zod-openapi";
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
  })
  .openapi("SimulatorReceipt", { description: "A delivery receipt in the simulator carrier's format." });
export type SimulatorReceipt = z.infer<typeof SimulatorReceipt>;

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
export function plannedReceipts(outcome: SimulatorOutcome, carrierMessageId: string, at: Date): SimulatorReceipt[] {
  const receipt = (status: SimulatorReceipt["status"], error_code: string | null = null, ms = 0) => ({
    message_id: carrierMessageId,
    status,
    error_code,
    occurred_at: new Date(at.getTime() + ms).toISOString(),
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

export function createSimulator(deps: SimulatorDeps): CarrierAdapter {
  return {
    name: SIMULATOR,
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
      await deps.db.insert(simulatorSubmissions).values({ id, to: sms.to, body: sms.body, outcome, createdAt: now.getTime() });
      await deps.scheduleReceipts(plannedReceipts(outcome, id, now), RECEIPT_DELAY_SECONDS);
      return { ok: true, carrierMessageIds: [id] };
    },
  };
}

/**
 * Posts receipts to the gateway's webhook as a real carrier would: a signed HTTP request per receipt,
 * through `deliver` (the app's own fetch); one message's receipts in order, different messages' at once.
 * Throws if the gateway does not accept one, so the queue retries; receipts are idempotent at the gateway.
 */
export async function postReceipts(
  receipts: SimulatorReceipt[],
  secret: string,
  deliver: (request: Request) => Response | Promise<Response>,
): Promise<void> {
  const byMessage = new Map<string, SimulatorReceipt[]>();
  for (const receipt of receipts) byMessage.set(receipt.message_id, [...(byMessage.get(receipt.message_id) ?? []), receipt]);
  const results = await Promise.allSettled([...byMessage.values()].map((ones) => postInOrder(ones, secret, deliver)));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

async function postInOrder(
  receipts: SimulatorReceipt[],
  secret: string,
  deliver: (request: Request) => Response | Promise<Response>,
): Promise<void> {
  for (const receipt of receipts) {
    const body = JSON.stringify(receipt);
    const headers = await signWebhook(secret, newId("simulatorMessage"), Math.floor(Date.now() / 1000), body);
    const response = await deliver(
      new Request(`https://gateway.internal${SIMULATOR_STATUS_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );
    if (!response.ok) throw new Error(`gateway answered ${response.status} to a simulator receipt`);
  }
}
