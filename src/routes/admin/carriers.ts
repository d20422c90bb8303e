import { z } from "@hono/zod-openapi";
import { ROUTABLE_CARRIERS } from "../../carriers/registry";
import type { CarrierHealthRow, RouteRow } from "../../db/schema";
import { breakerState } from "../../domain/circuit-breaker";
import { RouteEntry } from "../../domain/routing";
import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonBody, jsonResponse } from "../../lib/openapi";
import { listCarrierHealth } from "../../services/carrier-health";
import { deleteRoute, listRoutes, putRoute } from "../../services/carrier-routes";
import { CountryParam } from "./schemas";

// The operator's carrier routes and the carriers' circuit breakers.
const tags = ["Operator: carriers and routes"];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const RouteCarrier = RouteEntry.extend({
  carrier: z.enum(ROUTABLE_CARRIERS),
  weight: RouteEntry.shape.weight.openapi({ description: "Share of first tries among the weighted carriers; failover keeps the list's order." }),
}).openapi("RouteCarrier");

const PutRouteBody = z
  .object({
    carriers: z
      .array(RouteCarrier)
      .min(1)
      .max(10)
      .superRefine((entries, ctx) => {
        entries.forEach((entry, i) => {
          if (entries.findIndex((e) => e.carrier === entry.carrier) !== i) {
            ctx.addIssue({ code: "custom", path: [i, "carrier"], message: "a carrier appears once in a route" });
          }
        });
      }),
  })
  .strict()
  .openapi("PutRouteRequest");

const Route = z
  .object({ country: z.string(), carriers: z.array(RouteCarrier), updated_at: z.iso.datetime() })
  .openapi("Route", { description: "Carriers for one destination country (`default`: every other), in failover order." });

export const CarrierStatus = z
  .object({
    carrier: z.string(),
    circuit: z.enum(["closed", "open", "half_open"]),
    consecutive_failures: z.number().int(),
    open_until: z.iso.datetime().nullable(),
    updated_at: z.iso.datetime().nullable(),
  })
  .openapi("CarrierStatus");

const presentRoute = (row: RouteRow) => ({ country: row.country, carriers: row.carriers as z.infer<typeof RouteCarrier>[], updated_at: iso(row.updatedAt)! });

export function presentCarrier(carrier: string, row: CarrierHealthRow | undefined, now: number): z.infer<typeof CarrierStatus> {
  return {
    carrier,
    circuit: breakerState(row, now),
    consecutive_failures: row?.failures ?? 0,
    open_until: iso(row?.openUntil ?? null),
    updated_at: iso(row?.updatedAt ?? null),
  };
}

const putRouteRoute = adminRoute({
  method: "put",
  path: "/routes/{country}",
  tags,
  summary: "Set the carriers for a destination country",
  description:
    "An ordered list: a message's first try goes to a carrier drawn by weight (the first, without weights), a transient failure " +
    "retries at the next one. `default` routes every country without a route of its own; without any route, live keys use " +
    "`LIVE_CARRIER`. Test keys always use the simulator. A change reaches every isolate within a minute.",
  request: { params: CountryParam, body: jsonBody(PutRouteBody) },
  responses: {
    200: jsonResponse(Route, "The route as stored."),
  },
});

const listRoutesRoute = adminRoute({
  method: "get",
  path: "/routes",
  tags,
  summary: "Every route",
  responses: { 200: jsonResponse(z.object({ data: z.array(Route) }).openapi("RouteList"), "Routes by country.") }
});

const deleteRouteRoute = adminRoute({
  method: "delete",
  path: "/routes/{country}",
  tags,
  summary: "Remove a country's route (it falls back to `default`)",
  request: { params: CountryParam },
  responses: { 204: { description: "Removed." } }
});

const carriersRoute = adminRoute({
  method: "get",
  path: "/carriers",
  tags,
  summary: "Carriers and their circuit breakers",
  description: "A circuit opens after 5 consecutive transient failures and skips its carrier for 30 s; then one probe may try it, and a success closes it.",
  responses: { 200: jsonResponse(z.object({ data: z.array(CarrierStatus) }).openapi("CarrierList"), "Every routable carrier.") }
});

export const router = createRouter()
  .openapi(putRouteRoute, async (c) => {
    const { country } = c.req.valid("param");
    return c.json(presentRoute(await putRoute(c.var.db, country, c.req.valid("json").carriers)), 200);
  })
  .openapi(listRoutesRoute, async (c) => c.json({ data: (await listRoutes(c.var.db)).map(presentRoute) }, 200))
  .openapi(deleteRouteRoute, async (c) => {
    await deleteRoute(c.var.db, c.req.valid("param").country);
    return c.body(null, 204);
  })
  .openapi(carriersRoute, async (c) => {
    const rows = new Map((await listCarrierHealth(c.var.db)).map((row) => [row.carrier, row]));
    const now = Date.now();
    return c.json({ data: ROUTABLE_CARRIERS.map((carrier) => presentCarrier(carrier, rows.get(carrier), now)) }, 200);
  });
