import { tenantPayload } from "../../domain/carrier-payloads";
import { z } from "@hono/zod-openapi";
import type { InboundMessageRow } from "../../db/schema";
import { DEFAULT_KEYWORDS, keepsRequiredOptOut, KEYWORD_ACTIONS, REQUIRED_OPT_OUT } from "../../domain/keywords";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { listQuery, page } from "../../lib/pagination";
import { inboundView, keywordSettings, listInbound } from "../../services/inbound";
import { updateTenant } from "../../services/tenants";
import { openInbound } from "../../services/message-data";


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

const keywordList = z.array(z.string().trim().min(1).max(20)).max(50);
const Keywords = z
  .object({
    opt_out: keywordList,
    opt_in: keywordList,
    help: keywordList,
    help_reply: z.string().trim().min(1).max(320),
    opt_out_reply: z.string().trim().min(1).max(320).nullable(),
    opt_in_reply: z.string().trim().min(1).max(320).nullable(),
  })
  .strict()
  .refine((keywords) => keepsRequiredOptOut(keywords.opt_out), {
    path: ["opt_out"],
    message: `must keep ${REQUIRED_OPT_OUT.join(", ")}: carriers require it to opt a number out`,
  })
  .openapi("Keywords", { description: "Replies that are exactly a keyword (any case, trimmed) act; `*_reply` answers them (null: no answer)." });

const list = tenantRoute({
  method: "get",
  path: "/inbound",
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

const getKeywords = tenantRoute({
  method: "get",
  path: "/keywords",
  tags: ["Inbound"],
  summary: "Your opt-out, opt-in and HELP keywords and auto-replies",
  responses: { 200: jsonResponse(Keywords, "The keywords.") }
});

const putKeywords = tenantRoute({
  method: "put",
  path: "/keywords",
  tags: ["Inbound"],
  summary: "Replace your keywords and auto-replies",
  description: `Defaults: opt-out ${DEFAULT_KEYWORDS.opt_out.join(", ")}; opt-in ${DEFAULT_KEYWORDS.opt_in.join(", ")}; help HELP.`,
  request: { body: jsonBody(Keywords) },
  responses: {
    200: jsonResponse(Keywords, "The keywords."),
  },
});

export const inbound = createRouter()
  .openapi(list, async (c) => {
    const { since, ...query } = c.req.valid("query");
    const rows = await listInbound(c.var.db, c.var.auth, { ...query, since: since ? Date.parse(since) : undefined });
    const { data, next_cursor } = page(rows, query.limit);
    const opened = await Promise.all(data.map((row) => openInbound(c.env.DATA_ENCRYPTION_KEY, row)));
    return c.json({ data: opened.map(present), next_cursor }, 200);
  })
  .openapi(getKeywords, async (c) => c.json(await keywordSettings(c.var.control, c.var.auth.tenantId), 200))
  .openapi(putKeywords, async (c) => {
    const keywords = c.req.valid("json");
    await updateTenant(c.var.control, c.var.auth.tenantId, { keywords });
    return c.json(keywords, 200);
  });
