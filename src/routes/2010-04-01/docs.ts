// The Twilio-compatible routes in the OpenAPI document. They are plain Hono routes (Twilio's `{Sid}.json`
// paths are not a shape @hono/zod-openapi can route), so their documentation is registered here.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { AccountParams, CreateMessageForm, ListMessagesQuery, MessageParams, TwilioError, TwilioMessage, TwilioMessageList, UpdateMessageForm } from "./schemas";

const tags = ["Twilio-compatible API"];
const security = [{ TwilioBasic: [] }];
const form = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/x-www-form-urlencoded": { schema } } });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(TwilioError, description);

/** What every route answers besides its success: Twilio's codes, by HTTP status. */
const shared = {
  401: error("20003: the Account SID or auth token is wrong."),
  403: error("20003: the credential's key is restricted and lacks the scope."),
  404: error("20404: no such message, or another account's."),
  429: error("20429: too many requests (the tenant's request rate)."),
  500: error("An unexpected error."),
};
const withBody = {
  400: error("21200 invalid parameter, 21604 no To, 21602 no Body, 21609 bad StatusCallback, 21211 invalid To, 21614 not SMS-capable, 21212 unapproved From, 21610 unsubscribed recipient, 21608 sandbox recipient, 21617 body too long, 30007 content blocked, 20009 not cancelable or not final."),
  413: error("The form is larger than 64 KiB."),
};

export function registerTwilioDocs(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.registerComponent("securitySchemes", "TwilioBasic", {
    type: "http",
    scheme: "basic",
    description: "A Twilio-style credential of one of your keys: Account SID (`AC…`) as the user name, auth token as the password.",
  });
  // Mounted under /2010-04-01 (app.ts), which the document adds.
  const base = "/Accounts/{AccountSid}";
  registry.registerPath({
    method: "post",
    path: `${base}/Messages.json`,
    tags,
    security,
    summary: "Send a message (Twilio's Messages API)",
    description:
      "Twilio's `Create a Message`, form-encoded. Goes through the same checks, metering, idempotency " +
      "(`I-Twilio-Idempotency-Token`), screening, quiet hours and opt-outs as `POST /v1/messages`, and is visible there.",
    request: {
      params: AccountParams,
      headers: z.object({ "i-twilio-idempotency-token": z.string().max(255).optional().openapi({ param: { name: "i-twilio-idempotency-token", in: "header" }, description: "Retrying with the same token within 24 hours answers the first result and sends nothing again." }) }),
      body: form(CreateMessageForm),
    },
    responses: {
      201: json(TwilioMessage, "The message, `queued` (or `scheduled`)."),
      ...shared,
      ...withBody,
      402: error("20005: the balance does not cover the message."),
      409: error("20409: the idempotency token was used for another request, or is still in progress."),
      503: error("Live sending is not configured on this deployment."),
    },
  });
  registry.registerPath({
    method: "get",
    path: `${base}/Messages.json`,
    tags,
    security,
    summary: "List messages, newest first (Twilio's paging)",
    request: { params: AccountParams, query: ListMessagesQuery },
    responses: { 200: json(TwilioMessageList, "A page; `next_page_uri` leads to the next."), 400: error("21200: an invalid filter."), ...shared },
  });
  registry.registerPath({
    method: "get",
    path: `${base}/Messages/{Sid}.json`,
    tags,
    security,
    summary: "Fetch a message",
    request: { params: MessageParams },
    responses: { 200: json(TwilioMessage, "The message."), 400: error("21200: an invalid SID."), ...shared },
  });
  registry.registerPath({
    method: "post",
    path: `${base}/Messages/{Sid}.json`,
    tags,
    security,
    summary: "Cancel a scheduled message (`Status=canceled`) or redact a final one (`Body=`)",
    request: { params: MessageParams, body: form(UpdateMessageForm) },
    responses: { 200: json(TwilioMessage, "The canceled or redacted message."), ...shared, ...withBody },
  });
  registry.registerPath({
    method: "delete",
    path: `${base}/Messages/{Sid}.json`,
    tags,
    security,
    summary: "Delete a final message's record",
    request: { params: MessageParams },
    responses: { 204: { description: "Deleted." }, 400: error("20009: the message is not final yet."), ...shared },
  });
}
