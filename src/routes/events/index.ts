import { createRouter } from "../../lib/create-router";
import { jsonResponse, tenantRoute } from "../../lib/openapi";
import { listEvents } from "../../services/events";
import { openEventData } from "../../services/message-data";
import { EventList, EventListQuery, presentEvent } from "../webhooks/schemas";

const list = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Webhooks"],
  summary: "Your events in order: the pull fallback for webhooks",
  description:
    "The same payloads the webhooks carry, in the order they were recorded. Start without `after`, then pass the `last` of each " +
    "page: a client that missed callbacks catches up and nothing is lost.",
  request: { query: EventListQuery },
  errors: ["not_found"],
  responses: { 200: jsonResponse(EventList, "A page of events, oldest first.") }
});

export const router = createRouter().openapi(list, async (c) => {
  const { after, limit } = c.req.valid("query");
  const { data, last } = await listEvents(c.var.db, c.var.auth, after, limit);
  const opened = await Promise.all(data.map(async (event) => ({ ...event, data: await openEventData(c.env.DATA_ENCRYPTION_KEY, event.tenantId, event.data) })));
  return c.json({ data: opened.map(presentEvent), last }, 200);
});
