import { BATCH_BODY_LIMIT } from "../../middleware/json-body";
import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { encodeCursor, listQuery, page } from "../../lib/pagination";
import { cancelBatch, createBatch, getBatch, listBatches, listBatchMessages, listBatchRejects } from "../../services/batches";
import { MessageList, presentMessage } from "../messages/schemas";
import {
  BatchDetail,
  BatchList,
  BatchListQuery,
  BatchMessagesQuery,
  BatchRejectList,
  CreateBatchBody,
  CreateBatchHeaders,
  presentBatch,
  presentBatchDetail,
  presentReject,
} from "./schemas";

const tags = ["Batches"];

const create = tenantRoute({
  // 10,000 recipients with their params.
  body: { limit: BATCH_BODY_LIMIT },
  method: "post",
  path: "/",
  tags,
  summary: "Send one message to many recipients",
  description:
    "Records the batch and answers 202 at once; the recipients are made into messages in the background, in chunks, " +
    "each chunk metered (block list, caps, balance, daily quota) as it is expanded, and paced by your messages-per-second " +
    "limit. A recipient that cannot be sent to is rejected on its own (`rejects`, by index); the batch goes ahead. " +
    "Bodies up to 5 MiB.",
  request: { body: jsonBody(CreateBatchBody), headers: CreateBatchHeaders },
  errors: ["idempotency_mismatch", "template_not_approved", "sender_not_approved", "live_sending_unconfigured"],
  responses: {
    202: jsonResponse(BatchDetail, "Recorded (or, for a retried Idempotency-Key, the batch it made); follow it with `GET /v1/batches/{id}`."),
  },
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List batches, newest first",
  request: { query: BatchListQuery },
  responses: { 200: jsonResponse(BatchList, "A page of batches.") }
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "Get a batch with live counters",
  request: { params: IdParam },
  responses: {
    200: jsonResponse(BatchDetail, "The batch, its messages counted per status, its delivery rate and its first rejects."),
  },
});

const messages = tenantRoute({
  method: "get",
  path: "/{id}/messages",
  tags,
  summary: "List a batch's messages, newest first",
  request: { params: IdParam, query: BatchMessagesQuery },
  responses: {
    200: jsonResponse(MessageList, "A page of the batch's messages."),
  },
});

const rejects = tenantRoute({
  method: "get",
  path: "/{id}/rejects",
  tags,
  summary: "List a batch's rejected recipients, by index",
  request: { params: IdParam, query: listQuery },
  responses: {
    200: jsonResponse(BatchRejectList, "A page of rejects."),
  },
});

const cancel = tenantRoute({
  method: "post",
  path: "/{id}/cancel",
  tags,
  summary: "Cancel a batch",
  description:
    "Stops expansion and cancels every message of the batch not yet handed to a carrier (`scheduled` or `queued`), " +
    "refunding each. Safe to repeat: canceling a canceled batch answers it again. A completed batch: 409 `not_cancelable`.",
  request: { params: IdParam },
  errors: ["not_cancelable"],
  responses: {
    200: jsonResponse(BatchDetail, "The canceled batch."),
  },
});

export const router = createRouter()
  .openapi(create, async (c) => {
    const { batch, replayed } = await createBatch(c.env, c.var.db, c.var.auth, c.req.valid("json"), c.req.valid("header")["idempotency-key"]);
    return c.json(presentBatchDetail(batch), 202, replayed ? { "Idempotent-Replayed": "true" } : {});
  })
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const { data, next_cursor } = page(await listBatches(c.var.db, c.var.auth, query), query.limit);
    return c.json({ data: data.map(presentBatch), next_cursor }, 200);
  })
  .openapi(get, async (c) => c.json(presentBatchDetail(await getBatch(c.var.db, c.var.auth, c.req.valid("param").id)), 200))
  .openapi(messages, async (c) => {
    const query = c.req.valid("query");
    const rows = await listBatchMessages(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, c.req.valid("param").id, query);
    const { data, next_cursor } = page(rows, query.limit);
    return c.json({ data: data.map(presentMessage), next_cursor }, 200);
  })
  .openapi(rejects, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listBatchRejects(c.var.db, c.var.auth, c.req.valid("param").id, limit, cursor);
    const data = rows.slice(0, limit);
    const last = data.at(-1);
    return c.json({ data: data.map(presentReject), next_cursor: rows.length > limit && last ? encodeCursor(String(last.idx)) : null }, 200);
  })
  .openapi(cancel, async (c) => c.json(presentBatchDetail(await cancelBatch(c.env, c.var.db, c.var.auth, c.req.valid("param").id)), 200));
