// Alibaba Cloud SMS (dysmsapi, 2017-05-25), so Alibaba's SDKs work with only their endpoint and AccessKey
// changed. Its SDKs post every action to `/` (the action in `x-acs-action` or `Action`), signed.
import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { alibabaError } from "../../domain/compat/alibaba";
import { createRouter } from "../../lib/create-router";
import { ApiError } from "../../lib/errors";
import { asApiError } from "../../lib/problem";
import { alibabaSignature, takeNonce } from "../../middleware/alibaba-signature";
import { assertScope } from "../../middleware/compat-auth";
import { limitBody, requireBodyType } from "../../middleware/json-body";
import { countSendRequest } from "../../middleware/request-rate";
import type { AppEnv } from "../../types";
import { ACTION_HANDLERS } from "./actions";
import { ACTIONS, AlibabaError, DetailsResponse, RpcQuery, SendResponse, SignResponse, StatisticsResponse, TemplateResponse, type Action } from "./schemas";

type C = Context<AppEnv>;

/** Alibaba's gateway codes that are not business refusals: 404 for an unknown AccessKey or action, 400 for the rest. */
const NOT_FOUND_CODES = ["InvalidAccessKeyId.NotFound", "InvalidAction.NotFound"];

/** Every error in Alibaba's shape (`Code`, `Message`, `RequestId`), mapped in src/domain/compat/alibaba.ts. */
function renderAlibabaError(error: Error, c: C): Response {
  const apiError = asApiError(error, c);
  const own = apiError.extra?.alibaba as string | undefined;
  const first = apiError.errors?.[0];
  const field = first?.path.replace(/^(body|json)\./, "").split(".")[0];
  let mapped = own ? { Code: own, status: own.startsWith("isv.") ? 200 : NOT_FOUND_CODES.includes(own) ? 404 : 400 } : alibabaError(apiError.code, apiError.status, field);
  if (!own && first && field && /received undefined/.test(first.message)) mapped = { Code: `Missing${field}`, status: 400 };
  const detail = apiError.errors?.length ? `${apiError.message} ${apiError.errors.map((e) => `${e.path.replace(/^body\./, "")}: ${e.message}`).join("; ")}` : apiError.message;
  return c.json({ RequestId: c.var.requestId, Code: mapped.Code, Message: detail }, mapped.status as 400, apiError.headers);
}

async function dispatch(c: C) {
  const { action, params } = c.var.rpc;
  const handler = (ACTIONS as readonly string[]).includes(action) ? ACTION_HANDLERS[action as Action] : undefined;
  if (!handler) throw new ApiError("not_found", `Specified api ${action.slice(0, 64)} is not found.`, { extra: { alibaba: "InvalidAction.NotFound" } });
  assertScope(c.var.auth, handler.scope);
  if (!handler.send) await takeNonce(c);
  const answer = await handler.run(c, params);
  // Reads and reviews counted themselves; a send is counted by its meter call, or after (countSendRequest).
  if (!handler.send) c.set("requestCounted", true);
  return c.json({ RequestId: c.var.requestId, Code: "OK", Message: "OK", ...answer }, 200);
}

export const router = createRouter();
router.onError(renderAlibabaError);
for (const method of ["post", "get"] as const) {
  router[method]("/", countSendRequest, limitBody(), requireBodyType("form"), alibabaSignature, dispatch);
}

router.openAPIRegistry.registerComponent("securitySchemes", "AlibabaSignature", {
  type: "apiKey",
  in: "header",
  name: "Authorization",
  description:
    "Alibaba's request signature with an AccessKey of one of your keys: `ACS3-HMAC-SHA256` (the SDKs' default; `x-acs-date` and " +
    "`x-acs-signature-nonce` signed) or the RPC `Signature` (HMAC-SHA1, `signatureAlgorithm: \"v2\"`). A timestamp more than 15 minutes " +
    "off, or a nonce already used, is refused.",
});
for (const method of ["post", "get"] as const) router.openAPIRegistry.registerPath({
  method,
  path: "/",
  tags: ["Alibaba Cloud SMS-compatible API"],
  security: [{ AlibabaSignature: [] }],
  summary: "dysmsapi 2017-05-25: SendSms, SendBatchSms, QuerySendDetails, QuerySendStatistics, AddSmsTemplate, QuerySmsTemplate, AddSmsSign, QuerySmsSign",
  description:
    "Alibaba's RPC style: the action in `x-acs-action` (or `Action`) and its parameters in the query string or a form body, as " +
    "Alibaba's SDKs send them. Business refusals answer 200 with a `Code` other than `OK` (`isv.MOBILE_NUMBER_ILLEGAL`, " +
    "`isv.BUSINESS_LIMIT_CONTROL`, `isv.AMOUNT_NOT_ENOUGH`, `isv.SMS_TEMPLATE_ILLEGAL`, `isv.SMS_SIGNATURE_ILLEGAL`, " +
    "`isv.DAY_LIMIT_CONTROL`, `isv.BLACK_KEY_CONTROL_LIMIT`, …); a request that cannot be read or authenticated answers 4xx.",
  request: {
    query: RpcQuery,
    headers: z.object({
      "x-acs-action": z.enum(ACTIONS).optional().openapi({ param: { name: "x-acs-action", in: "header" } }),
      "x-acs-version": z.string().optional().openapi({ param: { name: "x-acs-version", in: "header" }, example: "2017-05-25" }),
    }),
  },
  responses: {
    200: {
      description: "`Code: OK` and the action's answer, or a business refusal.",
      content: { "application/json": { schema: z.union([SendResponse, DetailsResponse, StatisticsResponse, TemplateResponse, SignResponse, AlibabaError]) } },
    },
    400: { description: "SignatureDoesNotMatch, IncompleteSignature, InvalidTimeStamp.Expired, SignatureNonceUsed, InvalidVersion, Missing<Parameter>, InvalidParameter (also a body over 64 KiB or not a form).", content: { "application/json": { schema: AlibabaError } } },
    403: { description: "Forbidden.RAM: the AccessKey's API key is restricted and lacks the action's scope.", content: { "application/json": { schema: AlibabaError } } },
    404: { description: "InvalidAccessKeyId.NotFound, InvalidAction.NotFound.", content: { "application/json": { schema: AlibabaError } } },
    500: { description: "InternalError.", content: { "application/json": { schema: AlibabaError } } },
  },
});
