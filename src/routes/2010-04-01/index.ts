// Twilio's Messages API (2010-04-01), so Twilio's SDKs work with only their base URL and credentials changed.
// A thin adapter: every call goes through the native messages service (src/services/messages.ts).
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { dateSentRange, messageIdOfSid, messageSid, TWILIO_API_VERSION, twilioError } from "../../domain/compat/twilio";
import { ApiError } from "../../lib/errors";
import { encodeCursor } from "../../lib/pagination";
import { asApiError, validationError } from "../../lib/problem";
import { limitBody, requireBodyType } from "../../middleware/json-body";
import { requireScopeNamed, twilioAuth } from "../../middleware/compat-auth";
import { countSendRequest, requestRate } from "../../middleware/request-rate";
import { acceptMessage, cancelMessage, deleteMessage, getMessage, listMessages, redactMessage } from "../../services/messages";
import type { AppEnv } from "../../types";
import type { MessageRow } from "../../db/schema";
import { registerTwilioDocs } from "./docs";
import { AccountParams, CreateMessageForm, ListMessagesQuery, MessageParams, presentTwilioMessage, UpdateMessageForm } from "./schemas";

type C = Context<AppEnv>;

/** Every error in Twilio's shape (`code`, `message`, `more_info`, `status`), mapped in src/domain/compat/twilio.ts. */
function renderTwilioError(error: Error, c: C): Response {
  const apiError = asApiError(error, c);
  const body = twilioError(apiError.code, apiError.status, apiError.message, apiError.errors);
  return c.json(body, body.status as 400, apiError.headers);
}

function parse<T extends z.ZodType>(schema: T, data: unknown, target: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (!result.success) throw validationError(result.error, target);
  return result.data;
}

async function formOf(c: C): Promise<Record<string, string>> {
  return Object.fromEntries(new URLSearchParams(await c.req.text()));
}

/** The message a SID names, as ours; a SID that cannot be one of ours names nothing. */
function messageIdOf(c: C): string {
  const { Sid } = parse(MessageParams, { AccountSid: c.req.param("AccountSid"), Sid: c.req.param("Sid")?.replace(/\.json$/, "") }, "param");
  const id = messageIdOfSid(Sid);
  if (!id) throw new ApiError("not_found", `The requested resource /Messages/${Sid} was not found.`);
  return id;
}

const present = (c: C, rows: MessageRow[]) => rows.map((m) => presentTwilioMessage(m, c.var.credential.id));

const SINGLE = "/Accounts/:AccountSid/Messages/:Sid{[^/]+\\.json}";
const body = [limitBody(), requireBodyType("form")] as const;

export const router = createRouter();
router.onError(renderTwilioError);

router.post("/Accounts/:AccountSid/Messages.json", countSendRequest, twilioAuth, requireScopeNamed("messages:send"), ...body, async (c) => {
  parse(AccountParams, c.req.param(), "param");
  const form = parse(CreateMessageForm, await formOf(c), "json");
  const credential = c.var.credential;
  const result = await acceptMessage(
    c.env,
    c.var.db,
    c.var.auth,
    {
      to: form.To,
      body: form.Body,
      from: form.From,
      send_at: form.SendAt,
      callback_url: form.StatusCallback,
      compat: { format: "twilio", credentialId: credential.id, validitySeconds: form.ValidityPeriod },
    },
    {
      // Twilio's own retry header is honoured as our idempotency key.
      idempotencyKey: c.req.header("i-twilio-idempotency-token")?.slice(0, 255),
      onMetered: () => c.set("requestCounted", true),
    },
  );
  if (result.kind === "replayed") return c.json(presentTwilioMessage(result.message, credential.id), 201, { "Idempotent-Replayed": "true" });
  return c.json(presentTwilioMessage(result.message, credential.id), 201, result.headers);
});

router.get("/Accounts/:AccountSid/Messages.json", twilioAuth, requireScopeNamed("messages:read"), requestRate, async (c) => {
  parse(AccountParams, c.req.param(), "param");
  const query = parse(ListMessagesQuery, c.req.query(), "query");
  const after = query.PageToken ? messageIdOfSid(query.PageToken.slice(2)) : null;
  const rows = await listMessages(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, {
    to: query.To,
    from: query.From,
    limit: query.PageSize,
    cursor: after ? encodeCursor(after) : undefined,
    ...dateSentRange({ on: query.DateSent, after: query["DateSent>"], before: query["DateSent<"] }),
  });
  const page = rows.slice(0, query.PageSize);
  const base = `/${TWILIO_API_VERSION}/Accounts/${c.var.credential.id}/Messages.json`;
  const filters = Object.entries({ To: query.To, From: query.From, DateSent: query.DateSent, "DateSent<": query["DateSent<"], "DateSent>": query["DateSent>"] }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  const uri = (pageNumber: number, token?: string) =>
    `${base}?${new URLSearchParams([...filters, ["PageSize", String(query.PageSize)], ["Page", String(pageNumber)], ...(token ? [["PageToken", token]] : [])])}`;
  const last = page.at(-1);
  const start = query.Page * query.PageSize;
  return c.json(
    {
      messages: present(c, page),
      uri: uri(query.Page, query.PageToken),
      first_page_uri: uri(0),
      next_page_uri: rows.length > query.PageSize && last ? uri(query.Page + 1, `PA${messageSid(last.id)}`) : null,
      previous_page_uri: query.Page > 0 ? uri(0) : null,
      page: query.Page,
      page_size: query.PageSize,
      start,
      end: start + Math.max(0, page.length - 1),
    },
    200,
  );
});

router.get(SINGLE, twilioAuth, requireScopeNamed("messages:read"), requestRate, async (c) => {
  const [message] = present(c, [await getMessage(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, messageIdOf(c))]);
  return c.json(message!, 200);
});

router.post(SINGLE, twilioAuth, requireScopeNamed("messages:write"), requestRate, ...body, async (c) => {
  const id = messageIdOf(c);
  const form = parse(UpdateMessageForm, await formOf(c), "json");
  const row = form.Status === "canceled" ? await cancelMessage(c.env, c.var.db, c.var.auth, id) : await redactMessage(c.var.db, c.var.auth, id);
  const [message] = present(c, [row]);
  return c.json(message!, 200);
});

router.delete(SINGLE, twilioAuth, requireScopeNamed("messages:write"), requestRate, async (c) => {
  await deleteMessage(c.env, c.var.db, c.var.auth, messageIdOf(c));
  return c.body(null, 204);
});

// Anything else under /2010-04-01 is Twilio's 20404, in Twilio's shape (a sub-app's notFound is not used once mounted).
router.all("/*", (c) => renderTwilioError(new ApiError("not_found", `The requested resource ${c.req.path.slice(0, 200)} was not found.`), c));

registerTwilioDocs(router.openAPIRegistry);
