import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, updateTemplate } from "../../services/templates";
import { CreateTemplateBody, presentTemplate, Template, TemplateList, TemplateListQuery, UpdateTemplateBody } from "./schemas";

const tags = ["Templates"];
const security = [{ ApiKey: [] }];
const bodyErrors = ["malformed_json", "unauthorized", "unsupported_media_type", "validation_failed", "rate_limited"] as const;

const create = createRoute({
  method: "post",
  path: "/",
  tags,
  security,
  summary: "Submit a template for review",
  description:
    "An automatic pre-screen rejects at once, listing every reason (malformed or duplicated placeholders, blocked content, " +
    "marketing without opt-out wording, too long at its parameters' maximum lengths, otp without `{{code}}`). " +
    "What passes is `pending_review` until an operator decides.",
  request: { body: jsonBody(CreateTemplateBody) },
  responses: { 201: jsonResponse(Template, "The template, `pending_review` or `rejected`."), ...problemResponses(...bodyErrors) },
});

const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "List your templates, newest first",
  request: { query: TemplateListQuery },
  responses: { 200: jsonResponse(TemplateList, "A page of templates."), ...problemResponses("unauthorized", "validation_failed", "rate_limited") },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  security,
  summary: "Get a template",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Template, "The template."), ...problemResponses("unauthorized", "not_found", "rate_limited") },
});

const update = createRoute({
  method: "patch",
  path: "/{id}",
  tags,
  security,
  summary: "Rename a template, or submit a new version of it",
  request: { params: IdParam, body: jsonBody(UpdateTemplateBody) },
  responses: { 200: jsonResponse(Template, "The template."), ...problemResponses(...bodyErrors, "not_found", "edit_conflict") },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  security,
  summary: "Delete a template",
  description: "A template that scheduled messages or batches not yet expanded still use cannot be deleted (409 `in_use`).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, ...problemResponses("unauthorized", "not_found", "in_use", "rate_limited") },
});

export const templatesRouter = createRouter()
  .openapi(create, async (c) => c.json(presentTemplate(await createTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("json"))), 201))
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const { data, next_cursor } = page(await listTemplates(c.var.db, c.var.auth.tenantId, query), query.limit);
    return c.json({ data: data.map(presentTemplate), next_cursor }, 200);
  })
  .openapi(get, async (c) => c.json(presentTemplate(await getTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("param").id)), 200))
  .openapi(update, async (c) => {
    const template = await updateTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("param").id, c.req.valid("json"));
    return c.json(presentTemplate(template), 200);
  })
  .openapi(remove, async (c) => {
    await deleteTemplate(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  });
