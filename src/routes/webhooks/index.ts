import { createRoute, z } from "@hono/zod-openapi";
import { SIMULATOR, SimulatorReceipt } from "../../carriers/simulator";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { standardWebhookSignature } from "../../middleware/carrier-signature";
import { KEYWORD_ACTIONS } from "../../domain/keywords";
import { applyReceipt } from "../../services/delivery";
import { receiveInbound } from "../../services/inbound";

const ReceiptAck = z
  .object({ result: z.enum(["applied", "ignored", "unknown_message"]) })
  .openapi("ReceiptAck", {
    description:
      "`ignored`: a duplicate or out-of-order receipt, acknowledged and without effect. " +
      "`unknown_message`: no message has that carrier id; acknowledged so the carrier stops retrying.",
  });

const simulatorStatus = createRoute({
  method: "post",
  path: "/simulator/status",
  tags: ["Carrier webhooks"],
  summary: "Delivery receipt from the simulator carrier",
  description:
    "Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) " +
    "with `SIMULATOR_WEBHOOK_SECRET`. Timestamps more than 5 minutes off are refused.",
  middleware: [standardWebhookSignature((env) => env.SIMULATOR_WEBHOOK_SECRET)] as const,
  request: { body: jsonBody(SimulatorReceipt) },
  responses: {
    200: jsonResponse(ReceiptAck, "Receipt acknowledged."),
    ...problemResponses("invalid_signature", "malformed_json", "unsupported_media_type", "validation_failed"),
  },
});

const InboundReply = z
  .object({
    from: z.string().min(1).max(32).openapi({ example: "+14155550123" }),
    to: z.string().min(1).max(32).openapi({ example: "+14155550100", description: "The tenant's number that received it." }),
    text: z.string().max(1600),
    received_at: z.iso.datetime(),
  })
  .openapi("SimulatorInbound", { description: "A reply from a handset, in the simulator carrier's format." });

const InboundAck = z
  .object({
    result: z.enum(["recorded", "duplicate", "unknown_destination"]),
    action: z.enum(KEYWORD_ACTIONS).nullable(),
  })
  .openapi("InboundAck", {
    description: "`duplicate`: a redelivery, already handled. `unknown_destination`: no tenant has that number; recorded and acknowledged.",
  });

const simulatorInbound = createRoute({
  method: "post",
  path: "/simulator/inbound",
  tags: ["Carrier webhooks"],
  summary: "Inbound reply from the simulator carrier",
  description: "Signed like the simulator's receipts. Opt-out, opt-in and HELP keywords act on the tenant's block list and auto-replies.",
  middleware: [standardWebhookSignature((env) => env.SIMULATOR_WEBHOOK_SECRET)] as const,
  request: { body: jsonBody(InboundReply) },
  responses: {
    200: jsonResponse(InboundAck, "Reply recorded."),
    ...problemResponses("invalid_signature", "malformed_json", "unsupported_media_type", "validation_failed"),
  },
});

export const webhooks = createRouter()
  .openapi(simulatorInbound, async (c) => {
    const reply = c.req.valid("json");
    const { result, action } = await receiveInbound(
      c.env,
      c.var.db,
      { carrier: SIMULATOR, webhookId: c.req.header("webhook-id")! },
      { from: reply.from, to: reply.to, text: reply.text, receivedAt: Date.parse(reply.received_at) },
    );
    return c.json({ result, action }, 200);
  })
  .openapi(simulatorStatus, async (c) => {
  const receipt = c.req.valid("json");
  const result = await applyReceipt(c.var.db, {
    carrier: SIMULATOR,
    carrierMessageId: receipt.message_id,
    status: receipt.status,
    errorCode: receipt.error_code,
    detail: `receipt from ${SIMULATOR} at ${receipt.occurred_at}`,
  });
  return c.json({ result }, 200);
});
