import { IMPORT_BODY_LIMIT } from "../../middleware/json-body";
import { ApiError } from "../../lib/errors";
import { validationError } from "../../lib/problem";
import { createRouter } from "../../lib/create-router";
import { jsonResponse, optionalJsonBody, tenantRoute } from "../../lib/openapi";
import { afterNumber, numberPage } from "../../lib/pagination";
import { blocklistPage, blockNumber, e164Of, importBlocklist, unblockNumber } from "../../services/recipients";
import { csvImportRows, jsonRows } from "../../services/imports";
import { CountryQuery, ImportReport, NumberParam, UnblockQuery } from "../recipients/schemas";
import { BlockBody, BlockedNumber, BlockList, BlocklistImportJson, BlockListQuery, presentBlocked } from "./schemas";

// /v1/blocklist: numbers nothing is sent to (the tenant's blocks and the opt-outs of STOP replies).

/** The JSON body, already parsed and checked by the route's validator. */
async function importJson(c: { req: { json: () => Promise<unknown> } }) {
  const parsed = BlocklistImportJson.safeParse(await c.req.json());
  if (!parsed.success) throw validationError(parsed.error, "json");
  return parsed.data;
}

const block = tenantRoute({
  method: "put",
  path: "/{number}",
  tags: ["Block list"],
  summary: "Block a number: nothing more is sent to it",
  request: { params: NumberParam, query: CountryQuery, body: optionalJsonBody(BlockBody) },
  errors: ["invalid_number", "test_key_read_only"],
  responses: { 200: jsonResponse(BlockedNumber, "Already blocked (reason updated)."), 201: jsonResponse(BlockedNumber, "Blocked.") }
});

const unblock = tenantRoute({
  method: "delete",
  path: "/{number}",
  tags: ["Block list"],
  summary: "Unblock a number",
  description:
    "Your own block goes at once. A recipient's opt-out (they replied STOP) is lifted only with `reason`, which is recorded as an " +
    "`opt_out.lifted` event (GET /v1/events, and webhooks); without it, 422. Their START reply lifts it too. Live keys only: a test " +
    "key cannot change the block list live traffic uses (403 `test_key_read_only`).",
  request: { params: NumberParam, query: UnblockQuery },
  errors: ["invalid_number", "test_key_read_only"],
  responses: { 204: { description: "Unblocked." } }
});

const listBlocked = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Block list"],
  summary: "Blocked numbers, by number, with source and reason",
  request: { query: BlockListQuery },
  responses: { 200: jsonResponse(BlockList, "A page of the block list.") }
});

const importBlocked = tenantRoute({
  body: { limit: IMPORT_BODY_LIMIT, types: ["json", "csv"] },
  method: "post",
  path: "/import",
  tags: ["Block list"],
  summary: "Block up to 10,000 numbers from JSON or CSV",
  description: "Bodies up to 10 MiB. Valid rows are imported, duplicates merged; invalid rows are reported with their row numbers.",
  request: {
    query: CountryQuery,
    // Not `required`: the JSON validator then runs only for JSON bodies, and CSV streams to the handler.
    body: { required: false, content: { "application/json": { schema: BlocklistImportJson }, "text/csv": { schema: { type: "string" } } } }
  },
  errors: ["invalid_number", "test_key_read_only"],
  responses: { 200: jsonResponse(ImportReport, "What was imported.") }
});

export const router = createRouter()
  .openapi(block, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    const reason = c.req.header("content-type") ? (c.req.valid("json")?.reason ?? null) : null;
    const { created, entry } = await blockNumber(c.env, c.var.auth.tenantId, number, reason);
    return created ? c.json(presentBlocked(entry), 201) : c.json(presentBlocked(entry), 200);
  })
  .openapi(unblock, async (c) => {
    const { country, reason } = c.req.valid("query");
    const number = e164Of(c.req.valid("param").number, country, "path.number");
    await unblockNumber(c.env, c.var.db, c.var.auth.tenantId, number, { reason, by: "api_key", keyId: c.var.auth.keyId });
    return c.body(null, 204);
  })
  .openapi(listBlocked, async (c) => {
    const { limit, cursor, source } = c.req.valid("query");
    const { data, next } = await blocklistPage(c.env, c.var.auth.tenantId, limit, afterNumber(cursor), source);
    return c.json(numberPage(data.map(presentBlocked), next), 200);
  })
  .openapi(importBlocked, async (c) => {
    const { country } = c.req.valid("query");
    const csv = /^text\/csv/i.test(c.req.header("content-type") ?? "");
    if (!csv && !c.req.raw.body) throw new ApiError("validation_failed", "Send a JSON array or text/csv.", { errors: [{ path: "body", message: "required" }] });
    const source = csv ? csvImportRows(c.req.raw.body!) : jsonRows(await importJson(c));
    const rows = (async function* () {
      for await (const { row, values } of source) yield { row, number: values.phone ?? values.number, reason: values.reason };
    })();
    return c.json(await importBlocklist(c.env, c.var.auth.tenantId, rows, country), 200);
  });
