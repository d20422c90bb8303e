// Alibaba's dysmsapi actions, each a thin adapter over the native services: the send, batch, template,
// sender and stats services do the work, and a message sent here is the same message everywhere.
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import {
  cstDateTime,
  cstDay,
  cstDayRange,
  messageTypeOf,
  placeholderName,
  reportErrCode,
  reviewStatus,
  sendStatus,
  templateCode,
  templateIdOfCode,
  templateTypeOf,
  toAlibabaTemplate,
  toOurTemplate,
} from "../../domain/compat/alibaba";
import { parsePhone } from "../../domain/phone";
import { reportCost } from "../../domain/stats";
import { ApiError } from "../../lib/errors";
import { validationError } from "../../lib/problem";
import { chargeRequests } from "../../middleware/request-rate";
import { createBatches } from "../../services/batches";
import { takeNonce } from "../../middleware/alibaba-signature";
import { acceptMessage, recipientDay } from "../../services/messages";
import { createSender, findSenderByValue } from "../../services/senders";
import { statsReport } from "../../services/stats";
import { createTemplate, getTemplate, servingTemplate } from "../../services/templates";
import type { AppEnv } from "../../types";
import type { Scope } from "../../domain/scopes";
import {
  AddSmsSignParams,
  AddSmsTemplateParams,
  QuerySendDetailsParams,
  QuerySendStatisticsParams,
  QuerySmsSignParams,
  QuerySmsTemplateParams,
  SendBatchSmsParams,
  SendSmsParams,
  type Action,
} from "./schemas";

type C = Context<AppEnv>;
type Answer = Record<string, unknown>;

/** A refusal with Alibaba's own code (business codes, `isv.…`, are answered with HTTP 200). */
const business = (alibaba: string, detail: string) => new ApiError("validation_failed", detail, { extra: { alibaba } });

function parse<T extends z.ZodType>(schema: T, params: Record<string, string>): z.infer<T> {
  const result = schema.safeParse(params);
  if (!result.success) throw validationError(result.error, "json");
  return result.data;
}

function json<T>(text: string, field: string, check: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw business("isv.INVALID_JSON_PARAM", `${field} is not valid JSON.`);
  }
  if (!check(value)) throw business("isv.INVALID_JSON_PARAM", `${field} does not have the expected shape.`);
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

/** TemplateParam's values as strings, its keys as our placeholder names (`userName` → `user_name`). */
function templateParams(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw business("isv.INVALID_JSON_PARAM", `${field} must be a JSON object.`);
  const entries = Object.entries(value);
  if (entries.length > 50 || entries.some(([, v]) => typeof v !== "string" && typeof v !== "number")) {
    throw business("isv.INVALID_JSON_PARAM", `${field} must map at most 50 names to strings or numbers.`);
  }
  return Object.fromEntries(entries.map(([name, v]) => [placeholderName(name), String(v)]));
}

/** Chinese mainland numbers come as they are; others with 00 or + and their country code. */
function e164(number: string): string {
  const trimmed = number.trim();
  const international = trimmed.startsWith("+") ? trimmed : trimmed.startsWith("00") ? `+${trimmed.slice(2)}` : null;
  const phone = parsePhone(international ?? trimmed, international ? undefined : "CN");
  if (!phone.ok) throw new ApiError("invalid_number", `${trimmed.slice(0, 32)} is not a valid mobile number: ${phone.detail}`);
  return phone.e164;
}

function templateIdOf(code: string): string {
  const id = templateIdOfCode(code);
  if (!id) throw business("isv.SMS_TEMPLATE_ILLEGAL", `No template ${code.slice(0, 64)}.`);
  return id;
}

/** The template's type, which a batch needs; an unknown code is Alibaba's template error. */
async function templateType(c: C, id: string, code: string) {
  const template = await servingTemplate(c.var.db, c.var.auth.tenantId, id, c.var.auth.mode).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") throw business("isv.SMS_TEMPLATE_ILLEGAL", `No template ${code}.`);
    throw error;
  });
  return template.type;
}

/**
 * Several recipients go as batches (one per SignName), metered and written in bulk, all in one D1 transaction
 * (none is made if that fails, so a retry sends nothing twice). BizId names them.
 */
async function sendAsBatches(c: C, templateId: string, code: string, outId: string | undefined, groups: Map<string, { to: string; params: Record<string, string> }[]>) {
  const type = await templateType(c, templateId, code);
  const compat = { format: "alibaba" as const, credentialId: c.var.credential.id, callbackUrl: c.var.credential.reportUrl, reference: outId ?? null };
  const inputs = [...groups].map(([sign, recipients]) => ({ type, template_id: templateId, from: sign, recipients, compat }));
  await takeNonce(c);
  const batches = await createBatches(c.env, c.var.db, c.var.auth, inputs);
  return batches.map((batch) => batch.id).join(",");
}

async function sendSms(c: C, params: Record<string, string>): Promise<Answer> {
  const q = parse(SendSmsParams, params);
  const numbers = q.PhoneNumbers.split(",").map((n) => n.trim()).filter((n) => n !== "");
  if (numbers.length === 0 || numbers.length > 1000) throw business("isv.MOBILE_COUNT_OVER_LIMIT", "PhoneNumbers takes 1 to 1,000 numbers.");
  const templateId = templateIdOf(q.TemplateCode);
  const values = templateParams(q.TemplateParam === undefined ? undefined : json(q.TemplateParam, "TemplateParam", isRecord), "TemplateParam");
  // As Alibaba does: one invalid number refuses the whole request.
  const recipients = numbers.map((n) => e164(n));
  if (recipients.length > 1) {
    return { BizId: await sendAsBatches(c, templateId, q.TemplateCode, q.OutId, new Map([[q.SignName, recipients.map((to) => ({ to, params: values }))]])) };
  }
  const result = await acceptMessage(
    c.env,
    c.var.db,
    c.var.auth,
    {
      to: recipients[0]!,
      template_id: templateId,
      params: values,
      from: q.SignName,
      reference: q.OutId,
      callback_url: c.var.credential.reportUrl ?? undefined,
      // The meter takes the request's nonce in the call that admits the message: one round trip.
      compat: { format: "alibaba", credentialId: c.var.credential.id, nonce: c.var.rpc.nonce },
    },
    { onMetered: () => c.set("requestCounted", true) },
  ).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") throw business("isv.SMS_TEMPLATE_ILLEGAL", error.message);
    throw error;
  });
  return { BizId: result.message.id };
}

async function sendBatchSms(c: C, params: Record<string, string>): Promise<Answer> {
  const q = parse(SendBatchSmsParams, params);
  const numbers = json(q.PhoneNumberJson, "PhoneNumberJson", isArray);
  const signs = json(q.SignNameJson, "SignNameJson", isArray);
  const values = q.TemplateParamJson === undefined ? undefined : json(q.TemplateParamJson, "TemplateParamJson", isArray);
  if (numbers.length === 0 || numbers.length > 100) throw business("isv.MOBILE_COUNT_OVER_LIMIT", "PhoneNumberJson takes 1 to 100 numbers.");
  if (signs.length !== numbers.length || (values && values.length !== numbers.length)) {
    throw business("isv.INVALID_PARAMETERS", "PhoneNumberJson, SignNameJson and TemplateParamJson must have as many entries.");
  }
  const templateId = templateIdOf(q.TemplateCode);
  const groups = new Map<string, { to: string; params: Record<string, string> }[]>();
  numbers.forEach((number, i) => {
    const sign = signs[i];
    if (typeof number !== "string" || typeof sign !== "string" || sign.length > 32) throw business("isv.INVALID_PARAMETERS", `Entry ${i} needs a number and a SignName.`);
    const recipient = { to: e164(number), params: templateParams(values?.[i], `TemplateParamJson[${i}]`) };
    groups.set(sign, [...(groups.get(sign) ?? []), recipient]);
  });
  return { BizId: await sendAsBatches(c, templateId, q.TemplateCode, q.OutId, groups) };
}

async function querySendDetails(c: C, params: Record<string, string>): Promise<Answer> {
  await chargeRequests(c, 1);
  const q = parse(QuerySendDetailsParams, params);
  const range = cstDayRange(q.SendDate);
  if (!range) throw business("isv.INVALID_PARAMETERS", "SendDate is not a day (yyyyMMdd).");
  const ids = q.BizId?.split(",").map((id) => id.trim()).filter((id) => id !== "").slice(0, 100);
  const { rows: opened, total } = await recipientDay(c.env.DATA_ENCRYPTION_KEY, c.var.db, c.var.auth, { to: e164(q.PhoneNumber), ...range, ids, limit: q.PageSize, offset: (q.CurrentPage - 1) * q.PageSize });
  return {
    // A string, as Alibaba answers it (its SDK models it so).
    TotalCount: String(total),
    SmsSendDetailDTOs: {
      SmsSendDetailDTO: opened.map((m) => ({
        PhoneNum: q.PhoneNumber,
        SendStatus: sendStatus(m.status),
        ErrCode: reportErrCode(m.status, m.errorCode),
        TemplateCode: m.templateId && templateCode(m.templateId),
        Content: m.body,
        SendDate: cstDateTime(m.submittedAt ?? m.createdAt),
        ReceiveDate: m.status === "delivered" ? cstDateTime(m.updatedAt) : null,
        OutId: m.reference,
      })),
    },
  };
}

async function querySendStatistics(c: C, params: Record<string, string>): Promise<Answer> {
  const q = parse(QuerySendStatisticsParams, params);
  const start = cstDayRange(q.StartDate);
  const end = cstDayRange(q.EndDate);
  if (!start || !end || end.end <= start.start) throw business("isv.INVALID_PARAMETERS", "StartDate and EndDate must be days (yyyyMMdd), in order.");
  if (end.end - start.start > 90 * 86_400_000) throw business("isv.INVALID_PARAMETERS", "A range covers at most 90 days.");
  // A report costs one request a day of range, as GET /v1/stats does.
  await chargeRequests(c, reportCost(start.start, end.end));
  const report = await statsReport(c.var.db, { tenantId: c.var.auth.tenantId, mode: c.var.auth.mode }, { from: start.start, to: end.end, granularity: "day", tz: "Asia/Shanghai" });
  const days = report.series
    .filter((point) => point.submitted > 0)
    .map((point) => ({
      SendDate: cstDay(Date.parse(point.start)),
      TotalCount: point.submitted,
      RespondedSuccessCount: point.delivered,
      RespondedFailCount: point.undelivered + point.failed + point.expired + point.canceled,
      NoRespondedCount: point.pending,
    }));
  return { Data: { TotalSize: days.length, TargetList: days.slice((q.PageIndex - 1) * q.PageSize, q.PageIndex * q.PageSize) } };
}

async function addSmsTemplate(c: C, params: Record<string, string>): Promise<Answer> {
  await chargeRequests(c, 1);
  const q = parse(AddSmsTemplateParams, params);
  const template = await createTemplate(c.var.db, c.var.control, c.var.auth.tenantId, {
    name: q.TemplateName,
    body: toOurTemplate(q.TemplateContent),
    type: messageTypeOf(q.TemplateType)!,
    description: q.Remark ?? null,
  });
  return { TemplateCode: templateCode(template.id) };
}

async function querySmsTemplate(c: C, params: Record<string, string>): Promise<Answer> {
  await chargeRequests(c, 1);
  const q = parse(QuerySmsTemplateParams, params);
  const template = await getTemplate(c.var.db, c.var.auth.tenantId, templateIdOf(q.TemplateCode)).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") throw business("isv.SMS_TEMPLATE_ILLEGAL", error.message);
    throw error;
  });
  return {
    TemplateCode: q.TemplateCode,
    TemplateStatus: reviewStatus(template.latest.status),
    TemplateName: template.name,
    TemplateContent: toAlibabaTemplate(template.latest.body),
    TemplateType: templateTypeOf(template.type),
    CreateDate: cstDateTime(template.createdAt),
    Reason: template.latest.reasons?.join("; ") ?? "",
  };
}

async function addSmsSign(c: C, params: Record<string, string>): Promise<Answer> {
  await chargeRequests(c, 1);
  const q = parse(AddSmsSignParams, params);
  const sender = await createSender(c.var.db, c.var.control, c.var.auth.tenantId, { value: q.SignName, kind: "signature" });
  return { SignName: sender.value };
}

async function querySmsSign(c: C, params: Record<string, string>): Promise<Answer> {
  await chargeRequests(c, 1);
  const q = parse(QuerySmsSignParams, params);
  const sender = await findSenderByValue(c.var.db, c.var.auth.tenantId, q.SignName).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") throw business("isv.SMS_SIGNATURE_ILLEGAL", error.message);
    throw error;
  });
  return { SignName: sender.value, SignStatus: reviewStatus(sender.status), CreateDate: cstDateTime(sender.createdAt), Reason: sender.reasons?.join("; ") ?? "" };
}

/**
 * Each action, and the scope a restricted key needs for it. The sends take the request's nonce themselves
 * (with the message's admission, or before their batches are written); the rest have it taken before they run.
 */
export const ACTION_HANDLERS: Record<Action, { scope: Scope; send?: boolean; run: (c: C, params: Record<string, string>) => Promise<Answer> }> = {
  SendSms: { scope: "messages:send", send: true, run: sendSms },
  SendBatchSms: { scope: "messages:send", send: true, run: sendBatchSms },
  QuerySendDetails: { scope: "messages:read", run: querySendDetails },
  QuerySendStatistics: { scope: "stats:read", run: querySendStatistics },
  AddSmsTemplate: { scope: "templates:write", run: addSmsTemplate },
  QuerySmsTemplate: { scope: "templates:read", run: querySmsTemplate },
  AddSmsSign: { scope: "senders:write", run: addSmsSign },
  QuerySmsSign: { scope: "senders:read", run: querySmsSign },
};
