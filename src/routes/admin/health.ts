import { everyShard } from "../../db/shards";
import { z } from "@hono/zod-openapi";
import { ROUTABLE_CARRIERS } from "../../carriers/registry";
import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonResponse } from "../../lib/openapi";
import { operatorHealth, type StuckMessage } from "../../services/health";
import { CarrierStatus, presentCarrier } from "./carriers";
import { carrierReadiness } from "../../domain/deployment";

const Stuck = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    status: z.string(),
    since: z.iso.datetime(),
    age_s: z.number().int(),
  })
  .nullable();

const Readiness = z
  .object({
    usable: z.boolean().openapi({ description: "False: every send to this carrier fails (`no_route`), for the `problems` given." }),
    problems: z.array(z.string()),
    warnings: z.array(z.string()).openapi({ description: "What fails some sends only, such as a message with no sender." }),
  })
  .openapi("CarrierReadiness");

const OperatorHealth = z
  .object({
    live_carrier: z.string().openapi({ description: "`LIVE_CARRIER`: where live messages go when no route names a carrier." }),
    carriers: z.array(CarrierStatus.extend({ configuration: Readiness })),
    dead_lettered: z
      .object({ last_24h: z.number().int(), last_7d: z.number().int() })
      .openapi({ description: "Messages failed by the send queue's dead-letter consumer (their jobs exhausted the queue's retries)." }),
    oldest: z
      .object({ queued: Stuck, sending: Stuck, sent: Stuck })
      .openapi({ description: "The message longest in each in-flight status: waiting for its send job, at a carrier, awaiting a receipt." }),
  })
  .openapi("OperatorHealth");

const get = adminRoute({
  method: "get",
  path: "/health",
  tags: ["Operator: monitoring"],
  summary: "Carrier circuit breakers and configuration, dead letters and the oldest stuck messages",
  responses: { 200: jsonResponse(OperatorHealth, "The gateway's state.") }
});

export const router = createRouter().openapi(get, async (c) => {
  const now = Date.now();
  const state = await operatorHealth(c.var.control, everyShard(c.env).map((scope) => scope.db), now);
  const rows = new Map(state.carriers.map((row) => [row.carrier, row]));
  const stuck = (m: StuckMessage | null) =>
    m && { id: m.id, tenant_id: m.tenantId, status: m.status, since: new Date(m.since).toISOString(), age_s: Math.max(0, Math.round((now - m.since) / 1000)) };
  return c.json(
    {
      live_carrier: c.env.LIVE_CARRIER,
      carriers: ROUTABLE_CARRIERS.map((carrier) => ({ ...presentCarrier(carrier, rows.get(carrier), now), configuration: carrierReadiness(carrier, c.env) })),
      dead_lettered: { last_24h: state.deadLettered.last24h, last_7d: state.deadLettered.last7d },
      oldest: { queued: stuck(state.oldest.queued), sending: stuck(state.oldest.sending), sent: stuck(state.oldest.sent) },
    },
    200,
  );
});
