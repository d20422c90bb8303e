import { z } from "@hono/zod-openapi";
import type { EventRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from "../../db/schema";
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from "../../domain/webhooks";
import { listQuery } from "../../lib/pagination";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const CreateEndpointBody = z
  .object({
    url: z.string().min(1).max(2048).openapi({ example: "https://example.com/sms/events", description: "https, to a public host." }),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
  })
  .strict()
  .openapi("CreateWebhookRequest");

export const Endpoint = z
  .object({
    id: z.string().openapi({ example: "whk_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "Until then, deliveries carry a signature with the previous secret too." }),
    created_at: z.string(),
  })
  .openapi("WebhookEndpoint");

export const EndpointWithSecret = Endpoint.extend({
  secret: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", description: "Shown once: verify `webhook-signature` with it." }),
}).openapi("WebhookEndpointWithSecret");

export const EndpointList = z.object({ data: z.array(Endpoint) }).openapi("WebhookEndpointList");

export const Attempt = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    status_code: z.number().int().nullable().openapi({ description: "The endpoint's HTTP status; null when it did not answer." }),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

export const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: "Also the `webhook-id` header of every try." }),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.array(Attempt),
    next_attempt_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("WebhookDelivery");

export const DeliveryList = z.object({ data: z.array(Delivery), next_cursor: z.string().nullable() }).openapi("WebhookDeliveryList");

export const DeliveryListQuery = listQuery.extend({ status: z.enum(DELIVERY_STATUSES).optional() });

export const DeliveryParams = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
  delivery_id: z.string().min(1).max(100).openapi({ param: { name: "delivery_id", in: "path" } }),
});

export const CallbackSecret = z
  .object({
    secret: z.string().openapi({ description: "Signs the deliveries to messages' `callback_url`s sent with keys of this mode (Standard Webhooks)." }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "After a rotation: until when the previous secret also signs; null otherwise." }),
  })
  .openapi("CallbackSecret");

export function presentCallbackSecret(state: { secret: string; previousUntil: number | null }, now = Date.now()): z.infer<typeof CallbackSecret> {
  return { secret: state.secret, previous_secret_expires_at: state.previousUntil !== null && state.previousUntil > now ? new Date(state.previousUntil).toISOString() : null };
}

export const Event = z
  .object({
    id: z.string().openapi({ example: "evt_019a7c2e4f1b3c9d2e7a1f0b4c5d" }),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    created_at: z.string(),
    data: z.record(z.string(), z.unknown()).openapi({ description: "As the webhook carries it." }),
  })
  .openapi("Event");

export const EventList = z
  .object({
    data: z.array(Event),
    last: z.string().nullable().openapi({ description: "Pass as `after` to read on (also when this page was short: poll with it)." }),
  })
  .openapi("EventList");

export const EventListQuery = z.object({
  after: z.string().min(1).max(64).optional().openapi({ description: "An event id: list the events after it. Omit for the oldest." }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function presentEndpoint(row: WebhookEndpointRow, now = Date.now()): z.infer<typeof Endpoint> {
  const overlap = row.previousSecret && (row.previousSecretUntil ?? 0) > now ? row.previousSecretUntil : null;
  return { id: row.id, url: row.url, events: row.events, previous_secret_expires_at: iso(overlap), created_at: iso(row.createdAt)! };
}

export function presentDelivery(row: WebhookDeliveryRow & { attemptLog: WebhookAttemptRow[] }): z.infer<typeof Delivery> {
  return {
    id: row.id,
    event_id: row.eventId,
    status: row.status,
    attempts: row.attemptLog.map((a) => ({ attempt: a.attempt, at: iso(a.at)!, status_code: a.statusCode, latency_ms: a.latencyMs, error: a.error })),
    next_attempt_at: iso(row.nextAttemptAt),
    created_at: iso(row.createdAt)!,
  };
}

export function presentEvent(row: EventRow): z.infer<typeof Event> {
  return { id: row.id, type: row.type, created_at: iso(row.createdAt)!, data: row.data };
}
