import { createRouter } from "../../lib/create-router";
import { jsonResponse, tenantRoute } from "../../lib/openapi";
import { e164Of } from "../../services/recipients";
import { erasureModes, eraseRecipient } from "../../services/erasure";
import { CountryQuery, Erasure, NumberParam } from "./schemas";

// /v1/recipients/{number}: what concerns one number across the tenant's records.

const erase = tenantRoute({
  method: "post",
  path: "/{number}/erase",
  tags: ["Erasure"],
  summary: "Erase a number's personal data (GDPR Art. 17, PIPL Art. 47)",
  description:
    "Erases the number from your records: with a live key, of both modes; with a test key, of test traffic only (it cannot " +
    "touch live data, the block and allow lists included). Its messages not yet sent (`scheduled`, `queued`) are canceled and " +
    "refunded first. Then the number and body of its messages, carriers' error texts naming it, its replies, its contact, its " +
    "place in batch lists and rejects, and what events and receipts said of them. Statuses, prices and times stay, for your books. " +
    "A block (an opt-out, or yours) is kept as a salted hash, so a number that said STOP is still never texted. " +
    "Answers what changed; running it again changes nothing.",
  request: { params: NumberParam, query: CountryQuery },
  errors: ["invalid_number"],
  responses: { 200: jsonResponse(Erasure, "What was erased (all zero when nothing was left).") },
});

export const router = createRouter()
  .openapi(erase, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    return c.json(await eraseRecipient(c.env, c.var.db, c.var.auth.tenantId, erasureModes(c.var.auth.mode), number), 200);
  });
