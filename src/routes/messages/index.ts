import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses, RATE_LIMIT_HEADERS } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { getMessage, listMessages } from "../../services/messages";
import { cancelMessage } from "../../services/scheduling";
import { acceptMessage, previewMessage } from "../../services/sending";
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
const security = [{ ApiKey: [] }];

const create = createRoute({
  method: "post",
  path: "/",
  tags,
  security,
  summary: "Send a message",
  description:
    "Validates the message, composes it (template and params, sender, opt-out suffix) and screens it against the " +
    "content rules, meters it (rates, daily quota, per-recipient caps, balance), stores it as `queued` " +
    "and hands it to the send queue; with `send_at` (or a marketing message in the recipient's quiet hours) it is " +
    "stored as `scheduled` and sent when due. The answer is 202: delivery happens asynchronously; follow it with " +
    "`GET /v1/messages/{id}`. Answers carry `RateLimit-Policy` and `RateLimit` headers; a replay of an " +
    "`Idempotency-Key` carries `Idempotent-Replayed: true`.",
  request: { body: jsonBody(SendMessageBody), headers: SendHeaders, query: SendQuery },
  responses: {
    200: jsonResponse(SendPreview, "With `dry_run=true`: what would be sent, and which check would refuse it.", RATE_LIMIT_HEADERS),
    202: jsonResponse(MessageWithEvents, "Accepted for delivery (or the replayed answer to an earlier request).", RATE_LIMIT_HEADERS),
    ...problemResponses(
      "malformed_json",
      "unauthorized",
      "insufficient_balance",
      "not_found",
      "idempotency_in_progress",
      "payload_too_large",
      "unsupported_media_type",
      "validation_failed",
      "invalid_number",
      "number_not_sms_capable",
      "body_too_long",
      "idempotency_mismatch",
      "template_not_approved",
      "sender_not_approved",
      "content_blocked",
      "recipient_blocked",
      "recipient_opted_out",
      "sandbox_recipient_not_allowed",
      "rate_limited",
      "quota_exceeded",
      "recipient_frequency_capped",
    ),
  },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  security,
  summary: "Get a message with its status history",
  request: { params: MessageIdParam },
  responses: {
    200: jsonResponse(MessageWithEvents, "The message and its events, oldest first."),
    ...problemResponses("unauthorized", "not_found", "rate_limited"),
  },
});

const cancel = createRoute({
  method: "post",
  path: "/{id}/cancel",
  tags,
  security,
  summary: "Cancel a scheduled message",
  description:
    "Cancels a `scheduled` message and refunds its price. Canceling a canceled message answers it again; " +
    "a message already `queued` (or further) is on its way: 409 `not_cancelable`.",
  request: { params: MessageIdParam },
  responses: {
    200: jsonResponse(MessageWithEvents, "The canceled message."),
    ...problemResponses("unauthorized", "not_found", "not_cancelable", "rate_limited"),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "List messages, newest first",
  request: { query: MessageListQuery },
  responses: {
    200: jsonResponse(MessageList, "A page of messages."),
    ...problemResponses("unauthorized", "validation_failed", "rate_limited"),
  },
});

export const messages = createRouter()
  .openapi(create, async (c) => {
    const input = c.req.valid("json");
    if (c.req.valid("query").dry_run === "true") {
      const { preview, headers } = await previewMessage(c.env, c.var.db, c.var.auth, input, () => c.set("requestCounted", true));
      return c.json(preview, 200, headers);
    }
    const result = await acceptMessage(c.env, c.var.db, c.var.auth, input, {
      idempotencyKey: c.req.valid("header")["idempotency-key"],
      render: (message) => JSON.stringify(presentMessageWithEvents(message)),
      onMetered: () => c.set("requestCounted", true),
    });
    if (result.kind === "replayed") {
      return c.json(JSON.parse(result.response) as ReturnType<typeof presentMessageWithEvents>, 202, { "Idempotent-Replayed": "true" });
    }
    return c.json(presentMessageWithEvents(result.message), 202, result.headers);
  })
  .openapi(get, async (c) => {
    const message = await getMessage(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.json(presentMessageWithEvents(message), 200);
  })
  .openapi(cancel, async (c) => {
    const message = await cancelMessage(c.env, c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.json(presentMessageWithEvents(message), 200);
  })
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const rows = await listMessages(c.var.db, c.var.auth.tenantId, query);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map(presentMessage), next_cursor }, 200);
  });
