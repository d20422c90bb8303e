import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, updateTemplate } from "../../services/templates";
import { CreateTemplateBody, presentTemplate, Template, TemplateList, TemplateListQuery, UpdateTemplateBody } from "./schemas";

const tags = ["Templates"];

const create = tenantRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Submit a template for review",
  description:
    "An automatic pre-screen rejects at once, listing every reason (malformed or duplicated placeholders, blocked content, " +
    "marketing without opt-out wording, too long at its parameters' maximum lengths, otp without `{{code}}`). " +
    "What passes is `pending_review` until an operator decides.",
  request: { body: jsonBody(CreateTemplateBody) },
  responses: { 201: jsonResponse(Template, "The template, `pending_review` or `rejected`.") }
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List your templates, newest first",
  request: { query: TemplateListQuery },
  responses: { 200: jsonResponse(TemplateList, "A page of templates.") }
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "Get a template",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Template, "The template.") }
});

const update = tenantRoute({
  method: "patch",
  path: "/{id}",
  tags,
  summary: "Rename a template, or submit a new version of it",
  request: { params: IdParam, body: jsonBody(UpdateTemplateBody) },
  errors: ["edit_conflict"],
  responses: { 200: jsonResponse(Template, "The template.") }
});

const remove = tenantRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete a template",
  description: "A template that scheduled messages or batches not yet expanded still use cannot be deleted (409 `in_use`).",
  request: { params: IdParam },
  errors: ["in_use"],
  responses: { 204: { description: "Deleted." } }
});

export const router = createRouter()
  .openapi(create, async (c) => c.json(presentTemplate(await createTemplate(c.var.db, c.var.control, c.var.auth.tenantId, c.req.valid("json"))), 201))
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const { data, next_cursor } = page(await listTemplates(c.var.db, c.var.auth.tenantId, query), query.limit);
    return c.json({ data: data.map(presentTemplate), next_cursor }, 200);
  })
  .openapi(get, async (c) => c.json(presentTemplate(await getTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("param").id)), 200))
  .openapi(update, async (c) => {
    const template = await updateTemplate(c.var.db, c.var.control, c.var.auth.tenantId, c.req.valid("param").id, c.req.valid("json"));
    return c.json(presentTemplate(template), 200);
  })
  .openapi(remove, async (c) => {
    await deleteTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  });
