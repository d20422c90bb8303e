import { createRoute, z } from "@hono/zod-openapi";
import { SIMULATOR, SimulatorReceipt } from "../../carriers/simulator";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { standardWebhookSignature } from "../../middleware/carrier-signature";
import { applyReceipt } from "../../services/delivery";

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

export const webhooks = createRouter().openapi(simulatorStatus, async (c) => {
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
