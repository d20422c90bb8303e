// `BENCH_ONLY=compat npm run bench` (and part of the full run): issue 19's sends through the compatible APIs
// beside the native one, in the same run, against the same floor: a Twilio-style send (form-encoded, HTTP
// Basic) and an Alibaba SendSms (signed ACS3-HMAC-SHA256 per request, a fresh nonce each, as the SDK signs),
// at 1 and 50 connections. Its own `wrangler dev` on 127.0.0.1, its own databases, stopped by process group.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { startGateway } from "../scripts/local-server.mjs";
import { BENCH_LIMITS, load, post } from "./load.mjs";

const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/** An Alibaba SendSms request signed as @alicloud/openapi-core signs it (ACS3-HMAC-SHA256, params in the query). */
function alibabaRequest(host, accessKeyId, secret, params) {
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${encode(params[k])}`)
    .join("&");
  const headers = {
    host,
    "x-acs-action": "SendSms",
    "x-acs-content-sha256": createHash("sha256").update("").digest("hex"),
    "x-acs-date": new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    "x-acs-signature-nonce": randomUUID(),
    "x-acs-version": "2017-05-25",
  };
  const signed = Object.keys(headers).sort();
  const canonical = ["POST", "/", query, signed.map((h) => `${h}:${headers[h]}\n`).join(""), signed.join(";"), headers["x-acs-content-sha256"]].join("\n");
  const toSign = `ACS3-HMAC-SHA256\n${createHash("sha256").update(canonical).digest("hex")}`;
  const signature = createHmac("sha256", secret).update(toSign).digest("hex");
  return {
    method: "POST",
    path: `/?${query}`,
    headers: { ...headers, authorization: `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signed.join(";")},Signature=${signature}` },
  };
}

export async function compatBench() {
  const gateway = await startGateway({ workerVars: { LOG_LEVEL: "warn" } });
  const { base, vars } = gateway;
  const token = vars.ADMIN_TOKEN;
  try {
    const { id } = await post(base, "/v1/admin/tenants", token, { name: "bench compat" });
    await post(base, `/v1/admin/tenants/${id}`, token, { limits: BENCH_LIMITS }, "PATCH");
    const created = await post(base, `/v1/admin/tenants/${id}/keys`, token, { mode: "test" });
    const key = created.key;
    const twilio = await post(base, `/v1/keys/${created.id}/credentials`, key, { api: "twilio" });
    const alibaba = await post(base, `/v1/keys/${created.id}/credentials`, key, { api: "alibaba" });
    // The Alibaba send needs a sign and a template (test keys may use them while in review).
    await post(base, "/v1/senders", key, { value: "阿里云", kind: "signature" });
    const template = await post(base, "/v1/templates", key, { name: "otp", type: "otp", body: "Your verification code is {{code}}" });
    // A template's code is its id's 128 bits in decimal (src/domain/compat/ids.ts).
    const templateCode = `SMS_${ulidToDecimal(template.id.slice(4))}`;
    const host = base.replace("http://", "");
    const sendParams = { PhoneNumbers: "13900001234", SignName: "阿里云", TemplateCode: templateCode, TemplateParam: '{"code":"493021"}' };
    const check = alibabaRequest(host, alibaba.id, alibaba.secret, sendParams);
    const answer = await (await fetch(base + check.path, { method: "POST", headers: check.headers })).json();
    if (answer.Code !== "OK") throw new Error(`Alibaba SendSms: ${JSON.stringify(answer)}`);

    const native = { url: `${base}/v1/messages`, method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ to: "+14155550123", body: "Your verification code is 493021" }) };
    const twilioSend = {
      url: `${base}/2010-04-01/Accounts/${twilio.id}/Messages.json`,
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${twilio.id}:${twilio.secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: "+14155550123", Body: "Your verification code is 493021" }).toString(),
    };
    const alibabaSend = { url: base, requests: [{ setupRequest: () => alibabaRequest(host, alibaba.id, alibaba.secret, sendParams) }] };
    const rows = [];
    for (const connections of [1, 50]) {
      const floor = await load("GET /health/live", { url: `${base}/health/live`, connections });
      const runs = [
        await load("POST /v1/messages (native)", { ...native, connections }),
        await load("POST /2010-04-01/…/Messages.json (Twilio form, Basic)", { ...twilioSend, connections }),
        await load("POST / SendSms (Alibaba, ACS3 signed)", { ...alibabaSend, connections }),
      ];
      const rate = (run) => run.result.requests.average;
      for (const run of [floor, ...runs]) {
        rows.push(
          `| ${run.name} | ${connections} | ${run.result["2xx"]} | ${run.result.non2xx + run.result.errors} | ${rate(run).toFixed(0)} | ${run.result.latency.p50} | ${run.result.latency.p99} | ${(rate(run) / rate(floor)).toFixed(2)} | ${run === floor ? "" : (rate(run) / rate(runs[0])).toFixed(2)} |`,
        );
      }
    }
    console.log("\n### Compatible APIs (issue 19): autocannon, same run, same floor\n");
    console.log("| run | connections | 2xx | errors | req/s | p50 ms | p99 ms | ÷ floor | ÷ native send |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const row of rows) console.log(row);
  } finally {
    gateway.stop();
  }
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function ulidToDecimal(ulid) {
  let value = 0n;
  for (const ch of ulid) value = value * 32n + BigInt(CROCKFORD.indexOf(ch));
  return value.toString(10);
}
