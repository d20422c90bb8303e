import { tenantPayload } from "../../domain/carrier-payloads";
import { z } from "@hono/zod-openapi";
import type { InboundMessageRow } from "../../db/schema";
import { KEYWORD_ACTIONS } from "../../domain/keywords";
import { createRouter } from "../../lib/create-router";
import { jsonResponse, tenantRoute } from "../../lib/openapi";
import { listQuery, page } from "../../lib/pagination";
import { inboundView, listInbound } from "../../services/inbound";

// /v1/inbound: replies from handsets to the tenant's numbers.

const Inbound = z
  .object({
    id: z.string().openapi({ example: "inb_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    from: z.string(),
    to: z.string(),
    text: z.string(),
    action: z.enum(KEYWORD_ACTIONS).nullable().openapi({ description: "What the reply did, if it was a keyword." }),
    in_reply_to: z.string().nullable().openapi({ description: "Our latest message to the sender, which it most likely answers." }),
    received_at: z.string(),
    carrier: z.string(),
    raw: z.string().nullable().openapi({ description: "The carrier's payload as it was posted, without the operator's own fields (account ids, API keys, prices)." }),
  })
  .openapi("InboundMessage");

const present = (row: InboundMessageRow): z.infer<typeof Inbound> => ({ ...inboundView(row), carrier: row.carrier, raw: row.payload === null ? null : tenantPayload(row.payload) });

const list = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Inbound"],
  summary: "Replies received on your numbers, newest first",
  request: {
    query: listQuery.extend({
      from: z.string().max(32).optional(),
      to: z.string().max(32).optional(),
      since: z.iso.datetime().optional().openapi({ description: "Only replies received at or after this time." })
    })
  },
  responses: {
    200: jsonResponse(z.object({ data: z.array(Inbound), next_cursor: z.string().nullable() }).openapi("InboundList"), "A page of replies."),
  },
});

export const router = createRouter().openapi(list, async (c) => {
  const { since, ...query } = c.req.valid("query");
  const rows = await listInbound(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, { ...query, since: since ? Date.parse(since) : undefined });
  const { data, next_cursor } = page(rows, query.limit);
  return c.json({ data: data.map(present), next_cursor }, 200);
});
