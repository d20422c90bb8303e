import { z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { adminRoute, IdParam, jsonBody, jsonResponse } from "../../lib/openapi";
import { timePage } from "../../lib/pagination";
import { mergedPage, onShardHolding } from "../../db/shards";
import { ApiError } from "../../lib/errors";
import { getPolicy, PLATFORM_SCOPE, putPolicy } from "../../services/content-policies";
import { reviewSender, senderReviewQueue } from "../../services/senders";
import { reviewQueue, reviewTemplate } from "../../services/templates";
import { PlatformRules, PlatformRulesResponse } from "../content-rules/schemas";
import { presentSender, Sender } from "../senders/schemas";
import { presentTemplate, RejectBody, ReviewQueueQuery, Template } from "../templates/schemas";

// The operator's side of template and sender review, and the platform's content rules.
const tags = ["Operator: review and content"];

const TemplateForReview = Template.extend({ tenant_id: z.string() }).openapi("TemplateForReview");
const SenderForReview = Sender.extend({ tenant_id: z.string() }).openapi("SenderForReview");
const queuePage = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

const reviewRoutes = (resource: "templates" | "senders", item: z.ZodType) => ({
  queue: adminRoute({
    method: "get",
    path: `/${resource}`,
    tags,
    summary: `All tenants' ${resource} by review status, oldest submission first (the review queue)`,
    request: { query: ReviewQueueQuery },
    responses: { 200: jsonResponse(queuePage(item, `${resource}ReviewQueue`), "A page of the queue.") }
  }),
  approve: adminRoute({
    method: "post",
    path: `/${resource}/{id}/approve`,
    tags,
    summary: `Approve a ${resource.slice(0, -1)} waiting for review`,
    request: { params: IdParam },
    errors: ["review_not_pending"],
    responses: { 200: jsonResponse(item, "Approved.") }
  }),
  reject: adminRoute({
    method: "post",
    path: `/${resource}/{id}/reject`,
    tags,
    summary: `Reject a ${resource.slice(0, -1)} waiting for review, with the reason`,
    request: { params: IdParam, body: jsonBody(RejectBody) },
    errors: ["review_not_pending"],
    responses: {
      200: jsonResponse(item, "Rejected."),
    },
  }),
});

const templateRoutes = reviewRoutes("templates", TemplateForReview);
const senderRoutes = reviewRoutes("senders", SenderForReview);

const getRules = adminRoute({
  method: "get",
  path: "/content-rules",
  tags,
  summary: "The platform's content rules, applied to every tenant",
  responses: { 200: jsonResponse(PlatformRulesResponse, "The rules.") }
});

const putRules = adminRoute({
  method: "put",
  path: "/content-rules",
  tags,
  summary: "Replace the platform's content rules",
  request: { body: jsonBody(PlatformRules) },
  responses: {
    200: jsonResponse(PlatformRulesResponse, "The rules, with their ids."),
  },
});

/** Review queues are oldest submission first, across every shard. */
const oldestFirst = (a: { updatedAt: number; id: string }, b: { updatedAt: number; id: string }) =>
  a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const isNotFound = (error: unknown) => error instanceof ApiError && error.code === "not_found";

const forReview = <T extends { tenantId: string }, P>(row: T, present: (row: T) => P) => ({ ...present(row), tenant_id: row.tenantId });

export const router = createRouter()
  .openapi(templateRoutes.queue, async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const { data, next_cursor } = timePage(await mergedPage(c.env, limit, (db) => reviewQueue(db, { status, limit, cursor }), oldestFirst), limit);
    return c.json({ data: data.map((row) => forReview(row, presentTemplate)), next_cursor }, 200);
  })
  .openapi(templateRoutes.approve, async (c) => {
    return c.json(forReview(await onShardHolding(c.env, (db) => reviewTemplate(db, c.req.valid("param").id, { approve: true }), isNotFound), presentTemplate), 200);
  })
  .openapi(templateRoutes.reject, async (c) => {
    const decision = { approve: false as const, reason: c.req.valid("json").reason };
    return c.json(forReview(await onShardHolding(c.env, (db) => reviewTemplate(db, c.req.valid("param").id, decision), isNotFound), presentTemplate), 200);
  })
  .openapi(senderRoutes.queue, async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const { data, next_cursor } = timePage(await mergedPage(c.env, limit, (db) => senderReviewQueue(db, { status, limit, cursor }), oldestFirst), limit);
    return c.json({ data: data.map((row) => forReview(row, (r) => presentSender(r, null))), next_cursor }, 200);
  })
  .openapi(senderRoutes.approve, async (c) => {
    return c.json(forReview(await onShardHolding(c.env, (db) => reviewSender(db, c.req.valid("param").id, { approve: true }), isNotFound), (r) => presentSender(r, null)), 200);
  })
  .openapi(senderRoutes.reject, async (c) => {
    const decision = { approve: false as const, reason: c.req.valid("json").reason };
    return c.json(forReview(await onShardHolding(c.env, (db) => reviewSender(db, c.req.valid("param").id, decision), isNotFound), (r) => presentSender(r, null)), 200);
  })
  .openapi(getRules, async (c) => c.json({ rules: (await getPolicy(c.var.control, PLATFORM_SCOPE)).rules }, 200))
  .openapi(putRules, async (c) => {
    const policy = await putPolicy(c.var.control, PLATFORM_SCOPE, {
      rules: c.req.valid("json").rules,
      allowedDomains: [],
      enforceAllowedDomains: false,
      allowUrlShorteners: false,
      optOutSuffix: null,
    });
    return c.json({ rules: policy.rules }, 200);
  });
