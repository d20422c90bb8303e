import { z } from "@hono/zod-openapi";
import { DEFAULT_KEYWORDS, keepsRequiredOptOut, REQUIRED_OPT_OUT } from "../../domain/keywords";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { keywordSettings } from "../../services/inbound";
import { updateTenant } from "../../services/tenants";

// /v1/keywords: the reply keywords (STOP, START, HELP and the tenant's own) and their answers.

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

const getKeywords = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Inbound"],
  summary: "Your opt-out, opt-in and HELP keywords and auto-replies",
  responses: { 200: jsonResponse(Keywords, "The keywords.") }
});

const putKeywords = tenantRoute({
  method: "put",
  path: "/",
  tags: ["Inbound"],
  summary: "Replace your keywords and auto-replies",
  description: `Defaults: opt-out ${DEFAULT_KEYWORDS.opt_out.join(", ")}; opt-in ${DEFAULT_KEYWORDS.opt_in.join(", ")}; help HELP.`,
  request: { body: jsonBody(Keywords) },
  responses: {
    200: jsonResponse(Keywords, "The keywords."),
  },
});

export const router = createRouter()
  .openapi(getKeywords, async (c) => c.json(await keywordSettings(c.var.control, c.var.auth.tenantId), 200))
  .openapi(putKeywords, async (c) => {
    const keywords = c.req.valid("json");
    await updateTenant(c.var.control, c.var.auth.tenantId, { keywords });
    return c.json(keywords, 200);
  });
