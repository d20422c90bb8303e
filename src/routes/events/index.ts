import { createRouter } from "../../lib/create-router";
import { jsonResponse, tenantRoute } from "../../lib/openapi";
import { listEvents } from "../../services/events";
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
  const { data, last } = await listEvents(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, after, limit);
  return c.json({ data: data.map(presentEvent), last }, 200);
});
