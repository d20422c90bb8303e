import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { createSender, defaultSenderId, deleteSender, getSender, listSenders, setDefaultSender } from "../../services/senders";
import { CreateSenderBody, presentSender, Sender, SenderList, SenderListQuery } from "./schemas";

const tags = ["Senders"];

const create = tenantRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Register a sender ID, number or signature for review",
  description: "Alphanumeric: 3–11 letters, digits or spaces with a letter. Numeric: a code the operator assigns. Signature: 2–12 characters, shown as 【…】 before the body.",
  request: { body: jsonBody(CreateSenderBody) },
  errors: ["already_exists"],
  responses: {
    201: jsonResponse(Sender, "The sender, `pending_review` (or `rejected` for blocked content)."),
  },
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List your senders, newest first",
  request: { query: SenderListQuery },
  responses: { 200: jsonResponse(SenderList, "A page of senders.") }
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "Get a sender",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Sender, "The sender.") }
});

const makeDefault = tenantRoute({
  method: "post",
  path: "/{id}/default",
  tags,
  summary: "Use this sender when a message names no `from`",
  request: { params: IdParam },
  errors: ["sender_not_approved"],
  responses: { 200: jsonResponse(Sender, "The default sender.") }
});

const remove = tenantRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete a sender",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});

export const router = createRouter()
  .openapi(create, async (c) => c.json(presentSender(await createSender(c.var.db, c.var.control, c.var.auth.tenantId, c.req.valid("json")), null), 201))
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const [rows, defaultId] = await Promise.all([
      listSenders(c.var.db, c.var.auth.tenantId, query),
      defaultSenderId(c.var.control, c.var.auth.tenantId),
    ]);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map((row) => presentSender(row, defaultId)), next_cursor }, 200);
  })
  .openapi(get, async (c) => {
    const { tenantId } = c.var.auth;
    const [row, defaultId] = await Promise.all([getSender(c.var.db, tenantId, c.req.valid("param").id), defaultSenderId(c.var.control, tenantId)]);
    return c.json(presentSender(row, defaultId), 200);
  })
  .openapi(makeDefault, async (c) => {
    const row = await setDefaultSender(c.var.db, c.var.control, c.var.auth.tenantId, c.req.valid("param").id);
    return c.json(presentSender(row, row.id), 200);
  })
  .openapi(remove, async (c) => {
    await deleteSender(c.var.db, c.var.control, c.var.auth.tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  });
