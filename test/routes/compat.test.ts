// The compatible APIs' own error paths, faults and costs, in the Workers runtime against real D1, Durable
// Objects and Queues. The official SDKs drive the happy paths in test/compat/sdks.e2e.mjs.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { batches, messages, webhookDeliveries } from "../../src/db/schema";
import { REPLAY_WINDOW_MS, templateCode } from "../../src/domain/compat/alibaba";
import { runDurableObjectAlarm } from "cloudflare:test";
import { meterOf, setMeterClock } from "../helpers/meter";
import { messageSid } from "../../src/domain/compat/twilio";
import { observeD1, type D1Call } from "../../src/db/probe";
import { clearFaults, injectFault, pendingFaults } from "../../src/lib/faults";
import { alibaba } from "../helpers/alibaba";
import { ADMIN, call, createTenant, okJson, sendMessage } from "../helpers/api";
import { mockNetwork } from "../helpers/network";
import { twilio } from "../helpers/twilio-api";
import { drive, sendJob } from "../helpers/queues";
import { dbOf, insertQueuedMessage, number, waitForStatus } from "../helpers/seed";

const network = mockNetwork();
afterEach(() => clearFaults());

async function credential(key: string, keyId: string, api: "twilio" | "alibaba") {
  return okJson(await call(`/v1/keys/${keyId}/credentials`, { method: "POST", key, json: { api } }), 201);
}


async function twilioError(response: Response, status: number, code: number) {
  const body = await response.json<Record<string, unknown>>();
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(body).toEqual({ code, status, message: expect.any(String), more_info: `https://www.twilio.com/docs/errors/${code}` });
  expect(response.status).toBe(status);
  return body;
}

describe("Twilio-compatible API", () => {
  it("answers authentication and account errors in Twilio's shape", async () => {
    const { key, keyId } = await createTenant();
    const cred = await credential(key, keyId, "twilio");
    const noAuth = await call(`/2010-04-01/Accounts/${cred.id}/Messages.json`);
    expect(noAuth.headers.get("www-authenticate")).toBe('Basic realm="Twilio API"');
    await twilioError(noAuth, 401, 20003);
    await twilioError(await twilio({ ...cred, secret: "0".repeat(32) }, "GET", "/Messages.json"), 401, 20003);
    // Another account's path, even a real one, is not found.
    const other = await createTenant();
    const otherCred = await credential(other.key, other.keyId, "twilio");
    await twilioError(await call(`/2010-04-01/Accounts/${otherCred.id}/Messages.json`, { headers: { authorization: `Basic ${btoa(`${cred.id}:${cred.secret}`)}` } }), 404, 20404);
    await twilioError(await call("/2010-04-01/Accounts/nothing/here", {}), 404, 20404);
  });

  it("holds a restricted key's credential to the key's scopes", async () => {
    const { tenantId } = await createTenant();
    const restricted = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test", scopes: ["messages:read"] } }), 201);
    const cred = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys/${restricted.id}/credentials`, { method: "POST", headers: ADMIN, json: { api: "twilio" } }), 201);
    await twilioError(await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "hi" }), 403, 20003);
    expect((await twilio(cred, "GET", "/Messages.json")).status).toBe(200);
    expect((await okJson(await call("/v1/messages", { key: restricted.key }), 200)).data).toEqual([]);
  });

  it("refuses to cancel a sent message or delete an unfinished one (20009); redacts and deletes a final one", async () => {
    const { key, keyId } = await createTenant();
    const cred = await credential(key, keyId, "twilio");
    const sent = await okJson(await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "secret code 1234" }), 201);
    const id = (await okJson(await call(`/v1/messages?limit=1`, { key }), 200)).data[0].id;
    expect(messageSid(id)).toBe(sent.sid);
    await waitForStatus(key, id, "delivered");
    await twilioError(await twilio(cred, "POST", `/Messages/${sent.sid}.json`, { Status: "canceled" }), 400, 20009);

    const later = await okJson(await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "later", SendAt: new Date(Date.now() + 3_600_000).toISOString(), ScheduleType: "fixed" }), 201);
    expect(later.status).toBe("scheduled");
    await twilioError(await twilio(cred, "DELETE", `/Messages/${later.sid}.json`), 400, 20009);
    await twilioError(await twilio(cred, "POST", `/Messages/${later.sid}.json`, { Body: "" }), 400, 20009);

    const redacted = await okJson(await twilio(cred, "POST", `/Messages/${sent.sid}.json`, { Body: "" }), 200);
    expect(redacted.body).toBe("");
    expect((await okJson(await call(`/v1/messages/${id}`, { key }), 200)).body).toBe("");
    expect((await twilio(cred, "DELETE", `/Messages/${sent.sid}.json`)).status).toBe(204);
    await twilioError(await twilio(cred, "GET", `/Messages/${sent.sid}.json`), 404, 20404);
    expect((await call(`/v1/messages/${id}`, { key })).status).toBe(404);
  });

  it("answers a send the balance cannot cover with 402 and Twilio's 20005, sending nothing", async () => {
    // A live key of a tenant out of the sandbox with no credit (every destination has a price).
    const { key, keyId } = await createTenant("live");
    const cred = await credential(key, keyId, "twilio");
    await twilioError(await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "hi" }), 402, 20005);
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
  });

  it("answers a replayed I-Twilio-Idempotency-Token with the first message, sending once", async () => {
    const { key, keyId } = await createTenant();
    const cred = await credential(key, keyId, "twilio");
    const to = number();
    const headers = { "i-twilio-idempotency-token": "retry-42" };
    const first = await okJson(await twilio(cred, "POST", "/Messages.json", { To: to, Body: "once" }, headers), 201);
    const again = await twilio(cred, "POST", "/Messages.json", { To: to, Body: "once" }, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await okJson(again, 201)).sid).toBe(first.sid);
    expect((await okJson(await call(`/v1/messages?to=${encodeURIComponent(to)}`, { key }), 200)).data).toHaveLength(1);
  });

  it("fails a message whose ValidityPeriod ended before a carrier took it (30036), and sends nothing", async () => {
    const { key, keyId, tenantId } = await createTenant();
    const cred = await credential(key, keyId, "twilio");
    const row = await insertQueuedMessage(tenantId, number(), Date.now(), "simulator", { validUntil: Date.now() - 1_000 });
    await drive("sms-send", [sendJob(row.id)]);
    const message = await okJson(await twilio(cred, "GET", `/Messages/${messageSid(row.id)}.json`), 200);
    expect(message).toMatchObject({ status: "failed", error_code: 30036 });
    expect((await dbOf(tenantId).then((db) => db.select().from(messages).where(eq(messages.id, row.id))))[0]!.carrierMessageId).toBeNull();
  });

  it("does not post a StatusCallback unsigned once its credential is revoked: the delivery fails and is retried", async () => {
    const { key, keyId, tenantId } = await createTenant();
    const cred = await credential(key, keyId, "twilio");
    const got: string[] = [];
    network.use(http.post("https://cb.example.com/twilio", async ({ request }) => (got.push(await request.text()), new HttpResponse(null, { status: 204 }))));
    // Held for an hour, so nothing is posted before the revocation.
    const sent = await okJson(
      await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "hi", StatusCallback: "https://cb.example.com/twilio", SendAt: new Date(Date.now() + 3_600_000).toISOString(), ScheduleType: "fixed" }),
      201,
    );
    await okJson(await call(`/v1/keys/${keyId}/credentials/${cred.id}`, { method: "DELETE", key }), 200);
    await okJson(await call(`/v1/messages/${(await okJson(await call("/v1/messages?limit=1", { key }), 200)).data[0].id}/cancel`, { method: "POST", key }), 200);
    const db = await dbOf(tenantId);
    const [delivery] = await vi.waitFor(async () => {
      const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.tenantId, tenantId));
      expect(rows[0]?.attempts).toBeGreaterThan(0);
      return rows;
    });
    expect(delivery).toMatchObject({ status: "pending", lastError: "the credential that signs this callback was revoked" });
    expect(got).toEqual([]);
    expect(sent.sid).toMatch(/^SM/);
  });
});

describe("Alibaba-compatible API", () => {
  async function ready() {
    const tenant = await createTenant();
    const cred = await credential(tenant.key, tenant.keyId, "alibaba");
    await okJson(await call("/v1/senders", { method: "POST", key: tenant.key, json: { value: "阿里云", kind: "signature" } }), 201);
    const template = await okJson(await call("/v1/templates", { method: "POST", key: tenant.key, json: { name: "otp", type: "otp", body: "Code {{code}}" } }), 201);
    return { ...tenant, cred, code: templateCode(template.id) };
  }

  it("refuses a replayed SendSms nonce, taken with the message's admission: one message", async () => {
    const { key, cred, code } = await ready();
    const to = number();
    const params = { PhoneNumbers: to, SignName: "阿里云", TemplateCode: code, TemplateParam: '{"code":"1234"}' };
    const first = await alibaba(cred, "SendSms", params, "nonce-send-1");
    expect(first.body.Code, JSON.stringify(first.body)).toBe("OK");
    const replay = await alibaba(cred, "SendSms", params, "nonce-send-1");
    expect(replay).toMatchObject({ status: 400, body: { Code: "SignatureNonceUsed" } });
    expect((await okJson(await call(`/v1/messages?to=${encodeURIComponent(to)}`, { key }), 200)).data).toHaveLength(1);
  });

  it("keeps a nonce signed ahead of time until its signature has expired: no replay once the window from first use has passed", async () => {
    const { tenantId, cred, code } = await ready();
    const start = Date.now();
    const ahead = start + REPLAY_WINDOW_MS - 60_000;
    expect((await alibaba(cred, "QuerySmsTemplate", { TemplateCode: code }, "nonce-ahead-1", ahead)).body.Code).toBe("OK");
    // The meter's clock past the window from first use, the signature still inside its own window.
    await setMeterClock(tenantId, start + REPLAY_WINDOW_MS + 60_000);
    await runDurableObjectAlarm(meterOf(tenantId));
    expect(await alibaba(cred, "QuerySmsTemplate", { TemplateCode: code }, "nonce-ahead-1", ahead)).toMatchObject({ status: 400, body: { Code: "SignatureNonceUsed" } });
  });

  it("writes SendBatchSms's batches (one per sign) all or none: a failed write leaves nothing, the retry sends each number once", async () => {
    const { key, tenantId, cred, code } = await ready();
    await okJson(await call("/v1/senders", { method: "POST", key, json: { value: "阿里巴巴", kind: "signature" } }), 201);
    const numbers = [number(), number(), number()];
    const params = {
      PhoneNumberJson: JSON.stringify(numbers),
      SignNameJson: JSON.stringify(["阿里云", "阿里巴巴", "阿里云"]),
      TemplateCode: code,
      TemplateParamJson: JSON.stringify([{ code: "1111" }, { code: "2222" }, { code: "3333" }]),
    };
    const db = await dbOf(tenantId);
    injectFault("batch_create");
    const failed = await alibaba(cred, "SendBatchSms", params);
    expect(pendingFaults()).toEqual([]);
    expect(failed).toMatchObject({ status: 500, body: { Code: "InternalError" } });
    expect(await db.select().from(batches).where(eq(batches.tenantId, tenantId))).toEqual([]);

    const retried = await alibaba(cred, "SendBatchSms", params);
    expect(retried.body.Code).toBe("OK");
    expect(retried.body.BizId.split(",")).toHaveLength(2);
    for (const to of numbers) {
      await vi.waitFor(async () => expect((await okJson(await call(`/v1/messages?to=${encodeURIComponent(to)}`, { key }), 200)).data).toHaveLength(1), { timeout: 20_000 });
    }
  });
});

describe("Alibaba-compatible API, refusals", () => {
  it("refuses a whole SendBatchSms when one recipient's params do not fit, as Alibaba does, writing nothing", async () => {
    const { key, tenantId } = await createTenant();
    const cred = await credential(key, (await okJson(await call("/v1/keys", { key }), 200)).data[0].id, "alibaba");
    await okJson(await call("/v1/senders", { method: "POST", key, json: { value: "阿里云", kind: "signature" } }), 201);
    const template = await okJson(await call("/v1/templates", { method: "POST", key, json: { name: "otp", type: "otp", body: "Code {{code}}" } }), 201);
    const answer = await alibaba(cred, "SendBatchSms", {
      PhoneNumberJson: JSON.stringify([number(), number()]),
      SignNameJson: JSON.stringify(["阿里云", "阿里云"]),
      TemplateCode: templateCode(template.id),
      TemplateParamJson: JSON.stringify([{ code: "1234" }, { code: "x" }]),
    });
    expect(answer).toMatchObject({ status: 200, body: { Code: "isv.TEMPLATE_MISSING_PARAMETERS" } });
    expect(await (await dbOf(tenantId)).select().from(batches).where(eq(batches.tenantId, tenantId))).toEqual([]);
  });
});

describe("the compatible sends' cost", () => {
  async function roundTrips(work: () => Promise<Response>): Promise<D1Call[]> {
    const calls: D1Call[] = [];
    const stop = observeD1((c) => void calls.push(c));
    try {
      expect((await work()).status).toBeLessThan(300);
    } finally {
      stop();
    }
    return calls;
  }

  it("a Twilio send and an Alibaba SendSms make no more D1 round trips than the native send", async () => {
    const { key, keyId, tenantId } = await createTenant();
    const tw = await credential(key, keyId, "twilio");
    const ali = await credential(key, keyId, "alibaba");
    await okJson(await call("/v1/senders", { method: "POST", key, json: { value: "阿里云", kind: "signature" } }), 201);
    const template = await okJson(await call("/v1/templates", { method: "POST", key, json: { name: "otp", type: "otp", body: "Code {{code}}" } }), 201);
    const sendNative = () => call("/v1/messages", { method: "POST", key, json: { to: number(), template_id: template.id, params: { code: "1234" }, from: "阿里云" } });
    const sendTwilio = () => twilio(tw, "POST", "/Messages.json", { To: number(), Body: "Code 1234" });
    const sendAlibaba = () => alibaba(ali, "SendSms", { PhoneNumbers: number(), SignName: "阿里云", TemplateCode: templateCode(template.id), TemplateParam: '{"code":"1234"}' }).then((r) => new Response(null, { status: r.body.Code === "OK" ? 200 : 400 }));
    // Warm every per-isolate cache (key, credentials, template, senders, screening) first.
    for (const send of [sendNative, sendTwilio, sendAlibaba]) await send();
    await sendMessage(key, { to: number(), body: "warm" });
    const native = await roundTrips(sendNative);
    expect((await roundTrips(sendTwilio)).length).toBeLessThanOrEqual(native.length);
    expect((await roundTrips(sendAlibaba)).length).toBeLessThanOrEqual(native.length);
    expect(tenantId).toBeTruthy();
  });
});
