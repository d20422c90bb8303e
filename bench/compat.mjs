// `BENCH_ONLY=compat npm run bench` (and part of the full run): issue 19's sends through the compatible APIs
// beside the native one, in the same run, against the same floor: a Twilio-style send (form-encoded, HTTP
// Basic) and an Alibaba SendSms (signed ACS3-HMAC-SHA256 per request, a fresh nonce each, as the SDK signs),
// at 1 and 50 connections. Its own `wrangler dev` on 127.0.0.1, its own databases, stopped by process group.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { startGateway } from "../scripts/local-server.mjs";
import { BENCH_LIMITS, load, MAX_SECONDS, post, REQUESTS } from "./load.mjs";

/** Rounds of each send, in rotated order (see below). */
const ROUNDS = 3;

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
    // The Alibaba send is a verification code (otp), whose per-recipient caps would refuse nearly all of it.
    const limits = { ...BENCH_LIMITS, recipient_caps: { ...BENCH_LIMITS.recipient_caps, otp: { per_minute: null, per_hour: null, per_day: null } } };
    await post(base, `/v1/admin/tenants/${id}`, token, { limits }, "PATCH");
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

    // Each API sends to its own recipient: the meter's per-recipient cap check reads that recipient's recent sends,
    // so sharing one would make whichever runs later pay for the earlier runs' messages.
    const native = { url: `${base}/v1/messages`, method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ to: "+14155550123", body: "Your verification code is 493021" }) };
    // The same message as the Alibaba send (its template, sign and a Chinese mainland number), through the native API.
    const nativeTemplate = {
      ...native,
      body: JSON.stringify({ to: "+8613900001235", template_id: template.id, params: { code: "493021" }, from: "阿里云" }),
    };
    const twilioSend = {
      url: `${base}/2010-04-01/Accounts/${twilio.id}/Messages.json`,
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${twilio.id}:${twilio.secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: "+14155550124", Body: "Your verification code is 493021" }).toString(),
    };
    // Alibaba answers a refusal with HTTP 200 and a Code other than OK: counted here, reported as errors.
    let refused = 0;
    const alibabaSend = {
      url: base,
      requests: [
        {
          setupRequest: () => alibabaRequest(host, alibaba.id, alibaba.secret, sendParams),
          onResponse: (status, body) => void (status === 200 && !body.includes('"Code":"OK"') && refused++),
        },
      ],
    };
    const kinds = [
      ["POST /v1/messages (native)", native],
      ["POST /2010-04-01/…/Messages.json (Twilio form, Basic)", twilioSend],
      ["POST /v1/messages (native, Alibaba's message)", nativeTemplate],
      ["POST / SendSms (Alibaba, ACS3 signed)", alibabaSend],
    ];
    const rows = [];
    for (const connections of [1, 50]) {
      const floor = await load("GET /health/live", { url: `${base}/health/live`, connections });
      // Two cores are noisy over a 15-second run, so each send runs ROUNDS times, a third of the requests each,
      // in a rotated order (an order effect falls on every kind alike), and is summed over its rounds. Each run
      // starts once the messages of the runs before it are delivered: the send consumer shares the cores.
      const totals = kinds.map(([name]) => ({ name, requests: 0, seconds: 0, ok: 0, errors: 0, p50: [], p99: [] }));
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < kinds.length; i++) {
          const k = (i + round) % kinds.length;
          const [name, options] = kinds[k];
          await settle(base, key);
          refused = 0;
          const { result } = await load(name, { ...options, connections, amount: Math.ceil(REQUESTS / ROUNDS) }, MAX_SECONDS / ROUNDS);
          const total = totals[k];
          total.requests += result.requests.total;
          // Little's law: with `connections` always busy, the run's time is its requests × their mean latency
          // ÷ connections. autocannon ends a run on its one-second tick, so its duration is too coarse for a
          // 6-second round (whole seconds move a ratio by 15%); the mean latency is not.
          total.seconds += (result.requests.total * result.latency.average) / connections / 1000;
          total.ok += result["2xx"] - (options === alibabaSend ? refused : 0);
          total.errors += result.non2xx + result.errors + (options === alibabaSend ? refused : 0);
          total.p50.push(result.latency.p50);
          total.p99.push(result.latency.p99);
        }
      }
      const rate = (t) => t.requests / t.seconds;
      const floorRate = (connections * 1000) / floor.result.latency.average;
      const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      rows.push(`| GET /health/live | ${connections} | ${floor.result["2xx"]} | ${floor.result.non2xx + floor.result.errors} | ${floorRate.toFixed(0)} | ${floor.result.latency.p50} | ${floor.result.latency.p99} | 1.00 | |`);
      for (const [k, t] of totals.entries()) {
        // Twilio's over the native free-text send; Alibaba's over the native send of its message (template, sign, number).
        const same = k === 1 ? totals[0] : k === 3 ? totals[2] : t;
        rows.push(
          `| ${t.name} | ${connections} | ${t.ok} | ${t.errors} | ${rate(t).toFixed(0)} | ${median(t.p50)} | ${median(t.p99)} | ${(rate(t) / floorRate).toFixed(2)} | ${(rate(t) / rate(same)).toFixed(2)} |`,
        );
      }
    }
    console.log(`\n### Compatible APIs (issue 19): autocannon, same run, same floor, ${ROUNDS} rotated rounds each\n`);
    console.log("| run | connections | 2xx | errors | req/s | p50 ms (median of rounds) | p99 ms (median) | ÷ floor | ÷ native send (same message) |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const row of rows) console.log(row);
  } finally {
    gateway.stop();
  }
}

/** Waits (at most a minute) until none of the tenant's messages is still on its way. */
async function settle(base, key) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let busy = false;
    for (const status of ["queued", "sending", "sent"]) {
      const page = await fetch(`${base}/v1/messages?status=${status}&limit=1`, { headers: { authorization: `Bearer ${key}` } });
      busy ||= (await page.json()).data.length > 0;
    }
    if (!busy) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function ulidToDecimal(ulid) {
  let value = 0n;
  for (const ch of ulid) value = value * 32n + BigInt(CROCKFORD.indexOf(ch));
  return value.toString(10);
}
