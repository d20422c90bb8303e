import { enqueueDeliveries } from "../../queues/jobs";
import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import {
  callbackSecret,
  rotateCallbackSecret,
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  retryDelivery,
  rotateSecret,
} from "../../services/webhooks";
import {
  CallbackSecret,
  presentCallbackSecret,
  CreateEndpointBody,
  Delivery,
  DeliveryList,
  DeliveryListQuery,
  DeliveryParams,
  Endpoint,
  EndpointList,
  EndpointWithSecret,
  presentDelivery,
  presentEndpoint,
} from "./schemas";

const tags = ["Webhooks"];
const signing =
  "Each delivery is `POST {id, type, created_at, data}`, signed per Standard Webhooks: `webhook-id` (the event id, the same on " +
  "every try), `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`. Non-2xx or no answer in " +
  "10 s is tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (about 28 h), then recorded as failed.";

const create = tenantRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Add a webhook endpoint",
  description: `${signing} URLs must be https to a public host (in development also http://localhost and http://127.0.0.1).`,
  request: { body: jsonBody(CreateEndpointBody) },
  errors: ["limit_exceeded"],
  responses: {
    201: jsonResponse(EndpointWithSecret, "The endpoint, with its secret: shown this once."),
  },
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List your webhook endpoints",
  responses: { 200: jsonResponse(EndpointList, "Every endpoint, newest first.") }
});

const callback = tenantRoute({
  method: "get",
  path: "/callback-secret",
  tags,
  summary: "The secret that signs deliveries to messages' callback_url (this key's mode)",
  description: "One secret per mode: a test key reads the test one, which never signs live callbacks.",
  responses: { 200: jsonResponse(CallbackSecret, "The secret (made on first use).") }
});

const rotateCallback = tenantRoute({
  method: "post",
  path: "/callback-secret/rotate",
  tags,
  summary: "Rotate the callback secret of this key's mode",
  description:
    "A new secret at once; for 24 hours callbacks carry two signatures (`v1,<new> v1,<old>`, as Standard Webhooks allows), so " +
    "receivers can switch without losing one.",
  responses: { 200: jsonResponse(CallbackSecret, "The new secret, and until when the previous one still signs.") }
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "Get a webhook endpoint",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Endpoint, "The endpoint (without its secret).") }
});

const remove = tenantRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete a webhook endpoint (its pending deliveries stop)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});

const rotate = tenantRoute({
  method: "post",
  path: "/{id}/rotate-secret",
  tags,
  summary: "Rotate an endpoint's secret",
  description: "For 24 hours deliveries carry two signatures (`v1,<new> v1,<old>`), so receivers can switch without losing one.",
  request: { params: IdParam },
  responses: {
    200: jsonResponse(EndpointWithSecret, "The endpoint with its new secret: shown this once."),
  },
});

const deliveries = tenantRoute({
  method: "get",
  path: "/{id}/deliveries",
  tags,
  summary: "An endpoint's deliveries, newest first, with every try's status code and latency",
  request: { params: IdParam, query: DeliveryListQuery },
  responses: { 200: jsonResponse(DeliveryList, "A page of deliveries.") }
});

const retry = tenantRoute({
  method: "post",
  path: "/{id}/deliveries/{delivery_id}/retry",
  tags,
  summary: "Replay one delivery now",
  description: "The same event id and body, signed anew; also for a delivery that has failed for good.",
  request: { params: DeliveryParams },
  responses: { 202: jsonResponse(Delivery, "Queued for a try now.") }
});

export const router = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const row = await createEndpoint(c.env, c.var.db, c.var.auth, body.url, body.events);
    return c.json({ ...presentEndpoint(row), secret: row.secret }, 201);
  })
  .openapi(list, async (c) => c.json({ data: (await listEndpoints(c.var.db, c.var.auth)).map((row) => presentEndpoint(row)) }, 200))
  .openapi(callback, async (c) => c.json(presentCallbackSecret(await callbackSecret(c.var.control, c.var.auth)), 200))
  .openapi(rotateCallback, async (c) => c.json(presentCallbackSecret(await rotateCallbackSecret(c.var.control, c.var.auth)), 200))
  .openapi(get, async (c) => c.json(presentEndpoint(await getEndpoint(c.var.db, c.var.auth, c.req.valid("param").id)), 200))
  .openapi(remove, async (c) => {
    await deleteEndpoint(c.var.db, c.var.auth, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(rotate, async (c) => {
    const row = await rotateSecret(c.var.db, c.var.auth, c.req.valid("param").id);
    return c.json({ ...presentEndpoint(row), secret: row.secret }, 200);
  })
  .openapi(deliveries, async (c) => {
    const query = c.req.valid("query");
    const rows = await listDeliveries(c.var.db, c.var.auth, c.req.valid("param").id, query);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map(presentDelivery), next_cursor }, 200);
  })
  .openapi(retry, async (c) => {
    const { id, delivery_id } = c.req.valid("param");
    const row = await retryDelivery(c.var.db, c.var.auth, id, delivery_id);
    await enqueueDeliveries(c.env.WEBHOOK_QUEUE, [{ id: delivery_id }]);
    return c.json(presentDelivery(row), 202);
  });
