import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { acceptMessage, getMessage, listMessages } from "../../services/messages";
import {
  MessageIdParam,
  MessageList,
  MessageListQuery,
  MessageWithEvents,
  presentMessage,
  presentMessageWithEvents,
  SendMessageBody,
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
    "Validates and accepts the message, stores it as `queued` and hands it to the send queue. " +
    "The answer is 202: delivery happens asynchronously; follow it with `GET /v1/messages/{id}`.",
  request: { body: jsonBody(SendMessageBody) },
  responses: {
    202: jsonResponse(MessageWithEvents, "Accepted for delivery."),
    ...problemResponses(
      "malformed_json",
      "unauthorized",
      "payload_too_large",
      "unsupported_media_type",
      "validation_failed",
      "invalid_number",
      "body_too_long",
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
    ...problemResponses("unauthorized", "not_found"),
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
    ...problemResponses("unauthorized", "validation_failed"),
  },
});

export const messages = createRouter()
  .openapi(create, async (c) => {
    const message = await acceptMessage(c.env, c.var.db, c.var.auth, c.req.valid("json"));
    return c.json(presentMessageWithEvents(message), 202);
  })
  .openapi(get, async (c) => {
    const message = await getMessage(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.json(presentMessageWithEvents(message), 200);
  })
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const rows = await listMessages(c.var.db, c.var.auth.tenantId, query);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map(presentMessage), next_cursor }, 200);
  });
