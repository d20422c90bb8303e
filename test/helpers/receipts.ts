import { env } from "cloudflare:workers";
import { signWebhook } from "../../src/lib/standard-webhooks";
import { call } from "./api";

export const SIMULATOR_STATUS_PATH = "/webhooks/simulator/status";

/** Posts a receipt to the gateway the way the simulator carrier does: JSON, signed (Standard Webhooks). */
export async function postReceipt(receipt: object, options: { secret?: string; timestamp?: number; tamper?: boolean } = {}) {
  const body = JSON.stringify(receipt);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = await signWebhook(options.secret ?? env.SIMULATOR_WEBHOOK_SECRET, `evt_${crypto.randomUUID()}`, timestamp, body);
  return call(SIMULATOR_STATUS_PATH, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: options.tamper ? body.replace("delivered", "undelivered") : body,
  });
}

export const receiptFor = (carrierId: string, status: string) => ({
  message_id: carrierId,
  status,
  error_code: null,
  occurred_at: new Date().toISOString(),
});
