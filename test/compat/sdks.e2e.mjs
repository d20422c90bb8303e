// The official SDKs, unchanged, against a real `wrangler dev` of the gateway: Twilio's `twilio` package and
// Alibaba's `@alicloud/dysmsapi20170525`, each given only the gateway's address and a credential of a key.
// Their status callbacks and delivery reports are received by a local server and checked as their SDKs check them.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import Dysmsapi, * as $Dysmsapi from "@alicloud/dysmsapi20170525";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import * as $dara from "@darabonba/typescript";
import twilio from "twilio";
import { startGateway } from "../../scripts/local-server.mjs";

const TO = "+14155550123";
let gateway;
let key;
let receiver;
const received = []; // { path, headers, body }

async function call(path, { method = "POST", body, token } = {}) {
  const response = await fetch(gateway.base + path, {
    method,
    headers: { authorization: `Bearer ${token ?? key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}
const admin = (path, body, method) => call(`/v1/admin${path}`, { body, method, token: gateway.vars.ADMIN_TOKEN });

async function waitFor(predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = predicate();
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" }).end('{"code":0,"msg":"成功"}');
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  gateway = await startGateway();
  const tenant = await admin("/tenants", { name: "SDK compatibility" });
  key = (await admin(`/tenants/${tenant.id}/keys`, { mode: "test" })).key;
});

after(async () => {
  gateway?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function keyId() {
  const { data } = await call("/v1/keys", { method: "GET" });
  return data[0].id;
}

describe("Twilio's SDK (twilio on npm)", () => {
  let client;
  let token;
  let sid;

  before(async () => {
    const credential = await call(`/v1/keys/${await keyId()}/credentials`, { body: { api: "twilio" } });
    sid = credential.id;
    token = credential.secret;
    // The two lines a Twilio user changes: the credentials, and the base URL.
    client = twilio(sid, token);
    client.api.baseUrl = gateway.base;
  });

  it("creates a message, fetches it, and its StatusCallback posts pass the SDK's validateRequest", async () => {
    const url = `http://127.0.0.1:${receiver.address().port}/twilio-status`;
    const message = await client.messages.create({ to: TO, body: "Your code is 123456", statusCallback: url });
    assert.match(message.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(message.accountSid, sid);
    assert.equal(message.status, "queued");
    assert.equal(message.numSegments, "1");
    assert.ok(message.dateCreated instanceof Date && !Number.isNaN(message.dateCreated.getTime()));

    const fetched = await client.messages(message.sid).fetch();
    assert.equal(fetched.sid, message.sid);
    assert.equal(fetched.body, "Your code is 123456");

    const posts = await waitFor(() => {
      const mine = received.filter((r) => r.path === "/twilio-status" && new URLSearchParams(r.body).get("MessageSid") === message.sid);
      return mine.some((r) => new URLSearchParams(r.body).get("MessageStatus") === "delivered") && mine;
    }, "the delivered StatusCallback");
    for (const post of posts) {
      const params = Object.fromEntries(new URLSearchParams(post.body));
      assert.equal(params.AccountSid, sid);
      assert.equal(params.To, TO);
      assert.equal(params.ApiVersion, "2010-04-01");
      assert.equal(params.SmsSid, message.sid);
      assert.equal(twilio.validateRequest(token, post.headers["x-twilio-signature"], url, params), true, "the SDK accepts the signature");
      assert.equal(twilio.validateRequest("0".repeat(32), post.headers["x-twilio-signature"], url, params), false, "and not under another token");
    }
    assert.equal((await client.messages(message.sid).fetch()).status, "delivered");
    // The same message through the native API.
    const native = await call(`/v1/messages?to=${encodeURIComponent(TO)}`, { method: "GET" });
    assert.ok(native.data.some((m) => m.body === "Your code is 123456"));
  });

  it("lists with Twilio's paging, following next_page_uri", async () => {
    for (let i = 0; i < 5; i += 1) await client.messages.create({ to: "+14155550124", body: `Paged ${i}` });
    const page = await client.messages.page({ to: "+14155550124", pageSize: 2 });
    assert.equal(page.instances.length, 2);
    assert.ok(page.nextPageUrl, "a next page");
    const all = await client.messages.list({ to: "+14155550124", pageSize: 2 });
    assert.equal(all.length, 5);
    assert.equal(new Set(all.map((m) => m.sid)).size, 5);
    assert.deepEqual(all.map((m) => m.body), ["Paged 4", "Paged 3", "Paged 2", "Paged 1", "Paged 0"]);
  });

  it("cancels a scheduled message", async () => {
    const scheduled = await client.messages.create({ to: TO, body: "Later", sendAt: new Date(Date.now() + 10 * 60_000), scheduleType: "fixed" });
    assert.equal(scheduled.status, "scheduled");
    const canceled = await client.messages(scheduled.sid).update({ status: "canceled" });
    assert.equal(canceled.status, "canceled");
  });

  it("raises a 21211 as the SDK's RestException", async () => {
    await assert.rejects(client.messages.create({ to: "+1555", body: "x" }), (error) => {
      assert.ok(error instanceof twilio.RestException, String(error));
      assert.equal(error.code, 21211);
      assert.equal(error.status, 400);
      assert.equal(error.moreInfo, "https://www.twilio.com/docs/errors/21211");
      return true;
    });
  });

  it("refuses a wrong auth token with 20003", async () => {
    const wrong = twilio(sid, "0".repeat(32));
    wrong.api.baseUrl = gateway.base;
    await assert.rejects(wrong.messages.list({ limit: 1 }), (error) => error.code === 20003 && error.status === 401);
  });
});

describe("Alibaba's SDK (@alicloud/dysmsapi20170525 on npm)", () => {
  let client;
  let accessKeyId;
  let accessKeySecret;
  const Client = Dysmsapi.default ?? Dysmsapi;
  const clientWith = (secret = accessKeySecret) =>
    // The lines an Alibaba user changes: the AccessKey, and the endpoint (here over http, on loopback).
    new Client(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret: secret, endpoint: gateway.base.replace("http://", ""), protocol: "http" }));
  const reportPath = "/alibaba-report";

  before(async () => {
    const credential = await call(`/v1/keys/${await keyId()}/credentials`, { body: { api: "alibaba", report_url: `http://127.0.0.1:${receiver.address().port}${reportPath}` } });
    accessKeyId = credential.id;
    accessKeySecret = credential.secret;
    client = clientWith();
  });

  let templateCode;

  it("adds a sign and a template, which the operator's review approves", async () => {
    const sign = await client.addSmsSign(new $Dysmsapi.AddSmsSignRequest({ signName: "阿里云", signSource: 0, remark: "ours" }));
    assert.equal(sign.body.code, "OK");
    const template = await client.addSmsTemplate(
      new $Dysmsapi.AddSmsTemplateRequest({ templateType: 0, templateName: "Login code", templateContent: "您的验证码为：${code}，5分钟内有效。", remark: "login" }),
    );
    assert.equal(template.body.code, "OK");
    assert.match(template.body.templateCode, /^SMS_\d+$/);
    templateCode = template.body.templateCode;
    assert.equal((await client.querySmsTemplate(new $Dysmsapi.QuerySmsTemplateRequest({ templateCode }))).body.templateStatus, 0);

    for (const resource of ["templates", "senders"]) {
      const { data } = await admin(`/${resource}`, undefined, "GET");
      for (const pending of data) await admin(`/${resource}/${pending.id}/approve`, {});
    }
    const approved = await client.querySmsTemplate(new $Dysmsapi.QuerySmsTemplateRequest({ templateCode }));
    assert.equal(approved.body.templateStatus, 1);
    assert.equal(approved.body.templateContent, "您的验证码为：${code}，5分钟内有效。");
    assert.equal((await client.querySmsSign(new $Dysmsapi.QuerySmsSignRequest({ signName: "阿里云" }))).body.signStatus, 1);
  });

  it("sends, and the delivery report arrives as an SmsReport array; the details show it", async () => {
    const sent = await client.sendSms(
      new $Dysmsapi.SendSmsRequest({ phoneNumbers: "13900001234", signName: "阿里云", templateCode, templateParam: '{"code":"4821"}', outId: "order-7" }),
    );
    assert.equal(sent.body.code, "OK", JSON.stringify(sent.body));
    assert.ok(sent.body.bizId);
    assert.ok(sent.body.requestId);

    const report = await waitFor(() => received.find((r) => r.path === reportPath && JSON.parse(r.body)[0]?.biz_id === sent.body.bizId), "the SmsReport");
    const [entry] = JSON.parse(report.body);
    assert.equal(entry.success, true);
    assert.equal(entry.err_code, "DELIVERED");
    assert.equal(entry.phone_number, "13900001234");
    assert.equal(entry.out_id, "order-7");

    const sendDate = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll("-", "");
    const details = await client.querySendDetails(new $Dysmsapi.QuerySendDetailsRequest({ phoneNumber: "13900001234", sendDate, pageSize: 10, currentPage: 1, bizId: sent.body.bizId }));
    assert.equal(details.body.code, "OK");
    assert.equal(details.body.totalCount, "1"); // a string, as in Alibaba's model
    const [detail] = details.body.smsSendDetailDTOs.smsSendDetailDTO;
    assert.equal(detail.content, "【阿里云】您的验证码为：4821，5分钟内有效。");
    assert.equal(detail.sendStatus, 3);
    assert.equal(detail.outId, "order-7");
    // The same message through the native API.
    const native = await call(`/v1/messages/${sent.body.bizId}`, { method: "GET" });
    assert.equal(native.to, "+8613900001234");
  });

  it("batch-sends with a sign and params for each number", async () => {
    const batch = await client.sendBatchSms(
      new $Dysmsapi.SendBatchSmsRequest({
        phoneNumberJson: JSON.stringify(["13900005678", "13900005679"]),
        signNameJson: JSON.stringify(["阿里云", "阿里云"]),
        templateCode,
        templateParamJson: JSON.stringify([{ code: "1111" }, { code: "2222" }]),
      }),
    );
    assert.equal(batch.body.code, "OK", JSON.stringify(batch.body));
    const sendDate = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll("-", "");
    let details;
    const deadline = Date.now() + 30_000;
    do {
      details = await client.querySendDetails(new $Dysmsapi.QuerySendDetailsRequest({ phoneNumber: "13900005679", sendDate, pageSize: 10, currentPage: 1, bizId: batch.body.bizId }));
      if (details.body.totalCount === "1") break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    } while (Date.now() < deadline);
    assert.equal(details.body.totalCount, "1"); // a string, as in Alibaba's model
    assert.equal(details.body.smsSendDetailDTOs.smsSendDetailDTO[0].content, "【阿里云】您的验证码为：2222，5分钟内有效。");
  });

  it("answers an illegal number with isv.MOBILE_NUMBER_ILLEGAL", async () => {
    const answer = await client.sendSms(new $Dysmsapi.SendSmsRequest({ phoneNumbers: "12", signName: "阿里云", templateCode, templateParam: '{"code":"1"}' }));
    assert.equal(answer.body.code, "isv.MOBILE_NUMBER_ILLEGAL");
  });

  it("refuses a wrong secret, a stale timestamp and a replayed nonce as Alibaba does", async () => {
    const request = () => new $Dysmsapi.QuerySmsSignRequest({ signName: "阿里云" });
    await assert.rejects(clientWith("x".repeat(30)).querySmsSign(request()), (error) => error.code === "SignatureDoesNotMatch" && error.statusCode === 400);

    // The SDK lets a caller set signed headers (runtime.extendsParameters): an old x-acs-date, and one nonce twice.
    const withHeaders = (headers) => new $dara.RuntimeOptions({ extendsParameters: new $dara.ExtendsParameters({ headers }) });
    const stale = new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await assert.rejects(client.querySmsSignWithOptions(request(), withHeaders({ "x-acs-date": stale })), (error) => error.code === "InvalidTimeStamp.Expired");

    const nonce = `replay-${Date.now()}`;
    assert.equal((await client.querySmsSignWithOptions(request(), withHeaders({ "x-acs-signature-nonce": nonce }))).body.code, "OK");
    await assert.rejects(client.querySmsSignWithOptions(request(), withHeaders({ "x-acs-signature-nonce": nonce })), (error) => error.code === "SignatureNonceUsed");
  });

  it("also takes the older RPC signature (HMAC-SHA1, signatureAlgorithm v2)", async () => {
    const v2 = new Client(
      new $OpenApiUtil.Config({ accessKeyId, accessKeySecret, endpoint: gateway.base.replace("http://", ""), protocol: "http", signatureAlgorithm: "v2" }),
    );
    assert.equal((await v2.querySmsSign(new $Dysmsapi.QuerySmsSignRequest({ signName: "阿里云" }))).body.code, "OK");
    const wrong = new Client(
      new $OpenApiUtil.Config({ accessKeyId, accessKeySecret: "y".repeat(30), endpoint: gateway.base.replace("http://", ""), protocol: "http", signatureAlgorithm: "v2" }),
    );
    await assert.rejects(wrong.querySmsSign(new $Dysmsapi.QuerySmsSignRequest({ signName: "阿里云" })), (error) => error.code === "SignatureDoesNotMatch");
  });
});
