import { z } from "@hono/zod-openapi";
import { ALIBABA, ALIBABA_ACK, parseAlibabaReceipt } from "../../carriers/alibaba";
import { SIMULATOR, SimulatorReceipts } from "../../carriers/simulator";
import { parseSmppReceipt, SMPP } from "../../carriers/smpp";
import { parseTwilioInbound, parseTwilioStatus, TWILIO } from "../../carriers/twilio";
import { parseVonageInbound, parseVonageReceipt, VONAGE } from "../../carriers/vonage";
import type { Context } from "hono";
import type { ParsedReceipt } from "../../domain/receipts";
import { log } from "../../lib/log";
import { enqueueReceipts, type QueuedReceipt } from "../../queues/jobs";
import type { AppEnv } from "../../types";
import { createRouter } from "../../lib/create-router";
import { ApiError } from "../../lib/errors";
import { carrierRoute, jsonBody, jsonResponse } from "../../lib/openapi";
import { standardWebhookSignature, twilioSignature, urlToken, vonageSignature } from "../../middleware/carrier-signature";
import { receiveInbound } from "../../services/inbound";
import { receiptRow } from "../../services/receipts";
import { AlibabaAck, AlibabaReceipts, EMPTY_TWIML, InboundAck, InboundReply, ReceiptAck, SmppReceipt } from "./schemas";

const tags = ["Carrier webhooks"];

function unreadable(fields: string[]): never {
  throw new ApiError("validation_failed", "The webhook lacks fields every receipt of this carrier has.", {
    errors: fields.map((name) => ({ path: `body.${name}`, message: "required" })),
  });
}

const required = <T>(parsed: T | null, fields: string[]): T => parsed ?? unreadable(fields);
const missing = (fields: Record<string, string>, names: string[]) => names.filter((name) => !fields[name]);

/**
 * Takes verified receipts: each is given its id and handed to the receipts queue, with no D1 round trip on
 * the request. If the queue does not take them, the carrier is answered 503 and sends them again.
 */
async function ingest(c: Context<AppEnv>, carrier: string, receipts: { parsed: ParsedReceipt; raw: string }[]) {
  const now = Date.now();
  const rows = receipts.map(({ parsed, raw }) => receiptRow(carrier, parsed, raw, now) as QueuedReceipt);
  try {
    await enqueueReceipts(c.env.RECEIPT_QUEUE, rows);
  } catch (error) {
    log.error("receipt_enqueue_failed", { carrier, count: rows.length, error: String(error) });
    throw new ApiError("dependency_unavailable", "The receipt could not be queued; send it again.", { headers: { "Retry-After": "5" } });
  }
  return { queued: rows.length, receipt_ids: rows.map((row) => row.id) };
}

const simulatorStatus = carrierRoute({
  method: "post",
  path: "/simulator/status",
  tags,
  summary: "Delivery receipt from the simulator carrier",
  description:
    "Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) " +
    "with `SIMULATOR_WEBHOOK_SECRET`. Timestamps more than 5 minutes off are refused. One receipt, or a push of up to 500 " +
    "applied in the order given.",
  middleware: [standardWebhookSignature("SIMULATOR_WEBHOOK_SECRET")] as const,
  request: { body: jsonBody(SimulatorReceipts) },
  responses: { 200: jsonResponse(ReceiptAck, "Verified and queued; applied within seconds.") }
});

const simulatorInbound = carrierRoute({
  method: "post",
  path: "/simulator/inbound",
  tags,
  summary: "Inbound reply from the simulator carrier",
  description: "Signed like the simulator's receipts. Opt-out, opt-in and HELP keywords act on the tenant's block list and auto-replies.",
  middleware: [standardWebhookSignature("SIMULATOR_WEBHOOK_SECRET")] as const,
  request: { body: jsonBody(InboundReply) },
  responses: { 200: jsonResponse(InboundAck, "Reply recorded.") }
});

const twilioStatus = carrierRoute({
  method: "post",
  path: "/twilio/status",
  tags,
  summary: "Status callback from Twilio",
  description:
    "Form fields as Twilio posts them (`MessageSid`, `MessageStatus`, `ErrorCode`, …), verified with `X-Twilio-Signature` " +
    "(base64 HMAC-SHA1 keyed with `TWILIO_AUTH_TOKEN` over this URL and the sorted fields).",
  middleware: [twilioSignature] as const,
  responses: { 200: jsonResponse(ReceiptAck, "Verified and queued; applied within seconds.") }
});

const twilioInbound = carrierRoute({
  method: "post",
  path: "/twilio/inbound",
  tags,
  summary: "Incoming message from Twilio",
  description: "Twilio's messaging webhook (`From`, `To`, `Body`, `MessageSid`), signed as its status callbacks. Answers empty TwiML.",
  middleware: [twilioSignature] as const,
  responses: {
    200: { description: "Recorded; empty TwiML, so Twilio itself sends nothing back.", content: { "text/xml": { schema: z.string() } } },
  },
});

const vonageStatus = carrierRoute({
  method: "post",
  path: "/vonage/status",
  tags,
  summary: "Delivery receipt from Vonage (SMS API)",
  description:
    "JSON or form fields as Vonage posts them (`messageId`, `status`, `err-code`, `message-timestamp`, …), one per part of a " +
    "long message, verified with Vonage's signed webhooks (`sig`, SHA-256 HMAC with `VONAGE_SIGNATURE_SECRET`; `timestamp` within 5 minutes).",
  middleware: [vonageSignature] as const,
  responses: { 200: jsonResponse(ReceiptAck, "Verified and queued; applied within seconds.") }
});

const vonageInbound = carrierRoute({
  method: "post",
  path: "/vonage/inbound",
  tags,
  summary: "Inbound message from Vonage (SMS API)",
  description: "`msisdn` (the sender), `to`, `text`, `messageId`, signed as its receipts.",
  middleware: [vonageSignature] as const,
  responses: { 200: jsonResponse(InboundAck, "Reply recorded.") }
});

const smppStatus = carrierRoute({
  method: "post",
  path: "/smpp/status",
  tags,
  summary: "SMPP delivery receipt, forwarded by an SMPP-to-HTTP bridge",
  description:
    "The receipt text of a deliver_sm (`id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…`; dates with or " +
    "without seconds). Signed per Standard Webhooks with `SMPP_BRIDGE_SECRET`. Ids match case-insensitively and across hex and decimal.",
  middleware: [standardWebhookSignature("SMPP_BRIDGE_SECRET")] as const,
  request: { body: jsonBody(SmppReceipt) },
  responses: { 200: jsonResponse(ReceiptAck, "Verified and queued; applied within seconds.") }
});

const alibabaStatus = carrierRoute({
  method: "post",
  path: "/alibaba/status",
  tags,
  summary: "Delivery receipts pushed by Alibaba Cloud SMS (SmsReport)",
  description:
    "A JSON array of receipts. Alibaba signs nothing, so the URL carries `?token=` (`ALIBABA_RECEIPT_TOKEN`), compared in constant time. " +
    'Answers `{"code":0,"msg":"接收成功"}`, which tells Alibaba to stop pushing.',
  middleware: [urlToken("ALIBABA_RECEIPT_TOKEN")] as const,
  request: { body: jsonBody(AlibabaReceipts) },
  responses: { 200: jsonResponse(AlibabaAck, "Verified and queued; applied within seconds.") }
});

export const router = createRouter()
  .openapi(simulatorInbound, async (c) => {
    const reply = c.req.valid("json");
    const { result, action } = await receiveInbound(
      c.env,
      { carrier: SIMULATOR, webhookId: c.req.header("webhook-id")! },
      { from: reply.from, to: reply.to, text: reply.text, receivedAt: Date.parse(reply.received_at), payload: await c.req.text() },
    );
    return c.json({ result, action }, 200);
  })
  .openapi(simulatorStatus, async (c) => {
    const body = c.req.valid("json");
    const receipts = Array.isArray(body) ? body : [body];
    // One receipt is stored as the carrier posted it; each of a push as its own JSON.
    const raw = Array.isArray(body) ? null : await c.req.text();
    return c.json(
      await ingest(
        c,
        SIMULATOR,
        receipts.map((receipt) => ({
          parsed: {
            carrierMessageId: receipt.message_id,
            status: receipt.status,
            errorCode: receipt.status === "undelivered" ? (receipt.error_code ?? "undelivered") : null,
            carrierStatus: receipt.status,
            carrierTime: receipt.occurred_at,
            reference: receipt.reference ?? null,
          },
          raw: raw ?? JSON.stringify(receipt),
        })),
      ),
      200,
    );
  })
  .openapi(twilioStatus, async (c) => {
    const parsed = required(parseTwilioStatus(c.var.webhookFields), ["MessageSid", "MessageStatus"]);
    // The callback URL we gave Twilio names our message (signed with the rest of the URL).
    const reference = c.req.query("message_id") ?? null;
    return c.json(await ingest(c, TWILIO, [{ parsed: { ...parsed, reference }, raw: await c.req.text() }]), 200);
  })
  .openapi(twilioInbound, async (c) => {
    const sms = required(parseTwilioInbound(c.var.webhookFields), missing(c.var.webhookFields, ["From", "To", "Body", "MessageSid"]));
    await receiveInbound(c.env, { carrier: TWILIO, webhookId: sms.carrierMessageId }, { ...sms, receivedAt: Date.now(), payload: await c.req.text() });
    return c.body(EMPTY_TWIML, 200, { "content-type": "text/xml" });
  })
  .openapi(vonageStatus, async (c) => {
    const parsed = required(parseVonageReceipt(c.var.webhookFields), ["messageId", "status"]);
    return c.json(await ingest(c, VONAGE, [{ parsed, raw: await c.req.text() }]), 200);
  })
  .openapi(vonageInbound, async (c) => {
    const sms = required(parseVonageInbound(c.var.webhookFields), missing(c.var.webhookFields, ["msisdn", "to", "text", "messageId"]));
    const { result, action } = await receiveInbound(
      c.env,
      { carrier: VONAGE, webhookId: sms.carrierMessageId },
      { ...sms, receivedAt: Date.now(), payload: await c.req.text() },
    );
    return c.json({ result, action }, 200);
  })
  .openapi(smppStatus, async (c) => {
    const body = c.req.valid("json");
    const parsed = parseSmppReceipt(body.short_message);
    if (!parsed) {
      throw new ApiError("validation_failed", "short_message is not a delivery receipt.", {
        errors: [{ path: "body.short_message", message: "expected id:… stat:… receipt text" }],
      });
    }
    return c.json(await ingest(c, SMPP, [{ parsed, raw: await c.req.text() }]), 200);
  })
  .openapi(alibabaStatus, async (c) => {
    const receipts = c.req.valid("json");
    // One push carries many receipts: each is stored and applied on its own, raw as it came.
    await ingest(c, ALIBABA, receipts.map((receipt) => ({ parsed: parseAlibabaReceipt(receipt), raw: JSON.stringify(receipt) })));
    return c.json(ALIBABA_ACK, 200);
  });
