import { env } from "cloudflare:workers";
import { signWebhook } from "../../src/lib/standard-webhooks";
import { call } from "./api";

export const SIMULATOR_STATUS_PATH = "/webhooks/simulator/status";

interface SignOptions {
  secret?: string;
  timestamp?: number;
  tamper?: boolean;
  webhookId?: string;
}

/** Posts JSON to a carrier webhook the way the simulator carrier does: signed per Standard Webhooks. */
export async function postSigned(path: string, payload: object, options: SignOptions = {}) {
  const body = JSON.stringify(payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = await signWebhook(options.secret ?? env.SIMULATOR_WEBHOOK_SECRET, options.webhookId ?? `evt_${crypto.randomUUID()}`, timestamp, body);
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: options.tamper ? body.replace("delivered", "undelivered") : body,
  });
}

export function postReceipt(receipt: object, options: SignOptions = {}) {
  return postSigned(SIMULATOR_STATUS_PATH, receipt, options);
}

export const receiptFor = (carrierId: string, status: string) => ({
  message_id: carrierId,
  status,
  error_code: null,
  occurred_at: new Date().toISOString(),
});
