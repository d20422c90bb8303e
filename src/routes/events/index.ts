import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonResponse, problemResponses } from "../../lib/openapi";
import { listEvents } from "../../services/events";
import { EventList, EventListQuery, presentEvent } from "../webhook-endpoints/schemas";

const list = createRoute({
  method: "get",
  path: "/",
  tags: ["Webhooks"],
  security: [{ ApiKey: [] }],
  summary: "Your events in order: the pull fallback for webhooks",
  description:
    "The same payloads the webhooks carry, in the order they were recorded. Start without `after`, then pass the `last` of each " +
    "page: a client that missed callbacks catches up and nothing is lost.",
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(EventList, "A page of events, oldest first."), ...problemResponses("unauthorized", "not_found", "validation_failed", "rate_limited") },
});

export const eventsRouter = createRouter().openapi(list, async (c) => {
  const { after, limit } = c.req.valid("query");
  const { data, last } = await listEvents(c.var.db, c.var.auth.tenantId, after, limit);
  return c.json({ data: data.map(presentEvent), last }, 200);
});
