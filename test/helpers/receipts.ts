import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect, vi } from "vitest";
import { carrierReceipts } from "../../src/db/schema";
import { signWebhook } from "../../src/lib/standard-webhooks";
import { call, okJson } from "./api";
import { shards } from "./seed";

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

/**
 * A receipt webhook's answer (200, one receipt queued), then what the receipts consumer made of it once it
 * ran: `applied`, `ignored` or `held`, as stored beside the raw receipt.
 */
export async function receiptResult(response: Response, expected: "applied" | "ignored" | "held") {
  const ack = await okJson<{ queued: number; receipt_ids: string[] }>(response, 200);
  expect(ack.queued).toBe(1);
  const [id] = ack.receipt_ids;
  await vi.waitFor(
    async () => {
      // A receipt that names no shard is looked for on every one (held on each until one has its message).
      const rows = await Promise.all(shards().map((db) => db.query.carrierReceipts.findFirst({ where: eq(carrierReceipts.id, id!) })));
      const row = rows.find((r) => r && r.result !== "held") ?? rows.find((r) => r);
      if (row?.result !== expected) throw new Error(`receipt ${id} is ${row?.result ?? "not stored yet"}, waiting for ${expected}`);
    },
    { timeout: 10_000, interval: 20 },
  );
  return id!;
}
