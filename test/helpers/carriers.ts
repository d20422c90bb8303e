import { env } from "cloudflare:workers";
import { http, HttpResponse } from "msw";
import { expect } from "vitest";
import { twilioSignature } from "../../src/carriers/twilio";
import { vonageSignature } from "../../src/carriers/vonage";
import type { CarrierAdapter } from "../../src/carriers/types";
import { deliver } from "../../src/services/delivery";
import { signWebhook } from "../../src/lib/standard-webhooks";
import { ADMIN, call, createTenant, okJson } from "./api";
import { control, dbOf, insertQueuedMessage, number, shardOf } from "./seed";

export const TWILIO_MESSAGES = `https://api.twilio.com/2010-04-01/Accounts/${env.TWILIO_ACCOUNT_SID}/Messages.json`;
export const VONAGE_SMS = "https://rest.nexmo.com/sms/json";
const BASE = "http://gateway.test";

/** Twilio accepting a submit, as its API answers (201 and the Message SID). */
export const twilioAccepts = (sid: string) => http.post(TWILIO_MESSAGES, () => HttpResponse.json({ sid, status: "queued" }, { status: 201 }));
export const twilioFails = (status: number, code: number, message: string) =>
  http.post(TWILIO_MESSAGES, () => HttpResponse.json({ code, message, status }, { status }));
/** Vonage accepting a submit: one entry per part. */
export const vonageAccepts = (...ids: string[]) =>
  http.post(VONAGE_SMS, () => HttpResponse.json({ "message-count": String(ids.length), messages: ids.map((id) => ({ "message-id": id, status: "0" })) }));

export async function putRoute(country: string, carriers: { carrier: string; weight?: number }[]) {
  return okJson(await call(`/v1/admin/routes/${country}`, { method: "PUT", headers: ADMIN, json: { carriers } }), 200);
}

/** A form post signed as Twilio signs it (X-Twilio-Signature over the URL and the sorted fields). */
export async function postTwilio(path: string, fields: Record<string, string>, options: { token?: string; tamper?: boolean } = {}) {
  const signature = await twilioSignature(options.token ?? env.TWILIO_AUTH_TOKEN, BASE + path, fields);
  const body = new URLSearchParams(options.tamper ? { ...fields, MessageStatus: "delivered" } : fields);
  return call(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: body.toString() });
}

/** A JSON post signed as Vonage's signed webhooks are (sig over the sorted fields, with a timestamp). */
export async function postVonage(path: string, fields: Record<string, string>, options: { secret?: string; timestamp?: number; unsigned?: boolean } = {}) {
  const signed = { ...fields, timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)), nonce: crypto.randomUUID() };
  const sig = await vonageSignature(options.secret ?? env.VONAGE_SIGNATURE_SECRET, signed);
  return call(path, { method: "POST", json: options.unsigned ? signed : { ...signed, sig } });
}

/** What an SMPP-to-HTTP bridge posts: the receipt text, signed per Standard Webhooks. */
export async function postSmpp(shortMessage: string, options: { secret?: string } = {}) {
  const body = JSON.stringify({ short_message: shortMessage });
  const headers = await signWebhook(options.secret ?? env.SMPP_BRIDGE_SECRET, `smpp_${crypto.randomUUID()}`, Math.floor(Date.now() / 1000), body);
  return call("/webhooks/smpp/status", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

export function postAlibaba(receipts: object[], token: string | null = env.ALIBABA_RECEIPT_TOKEN) {
  return call(`/webhooks/alibaba/status${token === null ? "" : `?token=${encodeURIComponent(token)}`}`, { method: "POST", json: receipts });
}

/**
 * A message submitted through a carrier we have no submit adapter for (an SMPP bridge, Alibaba Cloud):
 * the send path runs for real, with a stand-in adapter that answers as that carrier's submit did.
 */
export async function sentVia(carrier: string, ids: [string, ...string[]]) {
  const { key, tenantId } = await createTenant();
  const row = await insertQueuedMessage(tenantId, number("5555"), Date.now(), carrier);
  const adapter: CarrierAdapter = { name: carrier, submit: async () => ({ ok: true, carrierMessageIds: ids }) };
  const plan = { shard: await shardOf(tenantId), control, order: () => [carrier], adapter: () => adapter, openBody: async (m: { body: string }) => m.body };
  const outcome = await deliver(await dbOf(tenantId), row.id, plan);
  expect(outcome.kind).toBe("sent");
  return { key, tenantId, id: row.id };
}

let gb = 0;
/** A fresh, valid UK mobile number (for messages routed by a GB route). */
export function ukNumber(): string {
  gb += 1;
  return `+447911${String(100000 + gb).slice(-6)}`;
}
