import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, RATE_LIMIT_HEADERS, tenantRoute } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { acceptMessage, cancelMessage, getMessage, listMessages, previewMessage } from "../../services/messages";
import {
  MessageIdParam,
  MessageList,
  MessageListQuery,
  MessageWithEvents,
  presentMessage,
  presentMessageWithEvents,
  SendHeaders,
  SendMessageBody,
  SendPreview,
  SendQuery,
} from "./schemas";

const tags = ["Messages"];

const create = tenantRoute({
  // A send is counted by its meter call (or after its answer, if refused before it).
  rate: "send",
  method: "post",
  path: "/",
  tags,
  summary: "Send a message",
  description:
    "Validates the message, composes it (template and params, sender, opt-out suffix) and screens it against the " +
    "content rules, meters it (rates, daily quota, per-recipient caps, balance), stores it as `queued` " +
    "and hands it to the send queue; with `send_at` (or a marketing message in the recipient's quiet hours) it is " +
    "stored as `scheduled` and sent when due. The answer is 202: delivery happens asynchronously; follow it with " +
    "`GET /v1/messages/{id}`. Answers carry `RateLimit-Policy` and `RateLimit` headers; a replay of an " +
    "`Idempotency-Key` carries `Idempotent-Replayed: true`.",
  request: { body: jsonBody(SendMessageBody), headers: SendHeaders, query: SendQuery },
  errors: [
    ...["insufficient_balance", "sandbox_recipient_not_allowed", "not_found", "idempotency_in_progress", "idempotency_mismatch"] as const,
    ...["invalid_number", "number_not_sms_capable", "body_too_long", "template_not_approved", "sender_not_approved"] as const,
    ...["content_blocked", "recipient_blocked", "recipient_opted_out", "quota_exceeded", "recipient_frequency_capped"] as const,
    "live_sending_unconfigured",
  ],
  responses: {
    202: jsonResponse(MessageWithEvents, "Accepted for delivery (or the replayed answer to an earlier request).", RATE_LIMIT_HEADERS),
  },
});

const dryRun = tenantRoute({
  rate: "send",
  method: "post",
  path: "/dry-run",
  tags,
  summary: "Try a send: every check, nothing sent",
  description:
    "Runs every check `POST /v1/messages` runs and answers what would be sent (number, composed body, encoding, " +
    "segments, price, carrier, when) and which check would refuse it. Nothing is stored, sent or charged; it counts " +
    "as one API request.",
  request: { body: jsonBody(SendMessageBody) },
  responses: {
    200: jsonResponse(SendPreview, "What would be sent, and which check would refuse it.", RATE_LIMIT_HEADERS),
  },
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "Get a message with its status history",
  request: { params: MessageIdParam },
  responses: {
    200: jsonResponse(MessageWithEvents, "The message and its events, oldest first."),
  },
});

const cancel = tenantRoute({
  method: "post",
  path: "/{id}/cancel",
  tags,
  summary: "Cancel a scheduled message",
  description:
    "Cancels a `scheduled` message and refunds its price. Canceling a canceled message answers it again; " +
    "a message already `queued` (or further) is on its way: 409 `not_cancelable`.",
  request: { params: MessageIdParam },
  errors: ["not_cancelable"],
  responses: {
    200: jsonResponse(MessageWithEvents, "The canceled message."),
  },
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List messages, newest first",
  request: { query: MessageListQuery },
  responses: {
    200: jsonResponse(MessageList, "A page of messages."),
  },
});

export const router = createRouter()
  .openapi(create, async (c) => {
    const input = c.req.valid("json");
    const result = await acceptMessage(c.env, c.var.db, c.var.auth, input, {
      idempotencyKey: c.req.valid("header")["idempotency-key"],
      onMetered: () => c.set("requestCounted", true),
    });
    if (result.kind === "replayed") {
      return c.json(presentMessageWithEvents(result.message), 202, { "Idempotent-Replayed": "true" });
    }
    return c.json(presentMessageWithEvents(result.message), 202, result.headers);
  })
  .openapi(dryRun, async (c) => {
    const { preview, headers } = await previewMessage(c.env, c.var.db, c.var.auth, c.req.valid("json"), () => c.set("requestCounted", true));
    return c.json(preview, 200, headers);
  })
  .openapi(get, async (c) => {
    return c.json(presentMessageWithEvents(await getMessage(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, c.req.valid("param").id)), 200);
  })
  .openapi(cancel, async (c) => {
    return c.json(presentMessageWithEvents(await cancelMessage(c.env, c.var.db, c.var.auth, c.req.valid("param").id)), 200);
  })
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const rows = await listMessages(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, query);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map(presentMessage), next_cursor }, 200);
  });
