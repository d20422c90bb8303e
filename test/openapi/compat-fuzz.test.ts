// The fuzzing of test/openapi/fuzz.test.ts for the compatible APIs, which answer in their vendors' shapes:
// Twilio's routes get odd paths, queries, forms and content types under a valid Basic credential; Alibaba's
// get every action with odd parameters, correctly signed (RPC HMAC-SHA1), so the fuzz reaches past the
// signature. Whatever comes in: no 5xx, every error in the vendor's shape with a documented status, and a
// refused request changes nothing.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIONS } from "../../src/routes/dysmsapi/schemas";
import { ADMIN, call, createTenant, okJson } from "../helpers/api";
import { meterOf, setLimits } from "../helpers/meter";
import { documentedOperations } from "../helpers/openapi";
import { signedQuery } from "../helpers/alibaba";

const RUNS = 25;
const SEED = 20261201;
const { operations } = await documentedOperations();

const oddText = fc.oneof(
  fc.constantFrom("", " ", "\u0000", "\uFEFF13900001234", "😀".repeat(300), "'; DROP TABLE messages; --", "${code}}{", "%00%ff", "null", "1e309", "-1", "+14155550123", "13900001234", "[]", "{}", '{"code":"1"}', '["13900001234"]', "SMS_1", "SMS_99999999999999999999999999999999999999999", "20261201", "x".repeat(5_000)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
);

const tables = (
  await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'`).all<{ name: string }>()
).results.map((t) => t.name);

async function stateOf(tenantId: string) {
  const state: Record<string, unknown> = {};
  for (const [name, d1] of Object.entries({ DB: env.DB, SHARD_1: env.SHARD_1, SHARD_2: env.SHARD_2 })) {
    const rows = await d1.batch(tables.map((t) => d1.prepare(`SELECT COUNT(*) AS n FROM "${t}"`)));
    for (const [i, t] of tables.entries()) state[`${name}.${t}`] = rows[i]!.results[0];
  }
  const account = await meterOf(tenantId).account();
  return { state, balance: account.balance, today: account.today };
}

describe("fuzzing the compatible APIs", async () => {
  // A live key of a sandbox tenant: nothing fuzzed can reach a carrier.
  const tenant = await createTenant();
  await setLimits(tenant.tenantId, { requests_per_second: 10_000, request_burst: 100_000 });
  const live = await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "live" } }), 201);
  const credential = (api: string) => call(`/v1/keys/${live.id}/credentials`, { method: "POST", key: live.key, json: { api } }).then((r) => okJson(r, 201));
  const twilio = await credential("twilio");
  const alibaba = await credential("alibaba");
  const basic = `Basic ${btoa(`${twilio.id}:${twilio.secret}`)}`;

  const twilioOps = operations.filter((op) => op.kind === "twilio");
  it("covers every Twilio-compatible operation and the Alibaba one", () => {
    expect(twilioOps.length).toBe(5);
    expect(operations.filter((op) => op.kind === "alibaba").length).toBe(2);
  });

  it.each(twilioOps.map((op) => [op.method, op.path, op] as const))("Twilio %s %s", async (method, path, op) => {
    const fields = ["To", "From", "Body", "StatusCallback", "SendAt", "ScheduleType", "ValidityPeriod", "MessagingServiceSid", "Status", "PageSize", "PageToken", "DateSent", "Page"];
    const request = fc.record({
      sid: fc.oneof(fc.constantFrom("SM" + "0".repeat(32), "SM" + "f".repeat(32), "zz", "..", "%00", "MM" + "1".repeat(32)), fc.string({ maxLength: 20 }).map(encodeURIComponent)),
      account: fc.constantFrom(twilio.id, twilio.id, "AC" + "0".repeat(32), "zz"),
      pairs: fc.array(fc.tuple(fc.constantFrom(...fields), oddText), { maxLength: 6 }),
      contentType: fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain", ""),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ sid, account, pairs, contentType }) => {
        const params = new URLSearchParams();
        for (const [name, value] of pairs) {
          try {
            params.append(name, value);
          } catch {}
        }
        const url = path.replace("{AccountSid}", account).replace("{Sid}", sid) + (method === "GET" ? `?${params}` : "");
        const body = method === "POST" ? params.toString() : null;
        const before = await stateOf(tenant.tenantId);
        const response = await call(url, { method, headers: { authorization: basic, ...(contentType && body !== null && { "content-type": contentType }) }, body });
        const text = await response.text();
        const where = `${method} ${url.slice(0, 160)} (${contentType}, ${String(body).slice(0, 120)}) → ${response.status} ${text.slice(0, 300)}`;
        expect(response.status, where).toBeLessThan(500);
        if (response.status < 400) return;
        const error = JSON.parse(text);
        expect(error, where).toEqual({ code: expect.any(Number), message: expect.any(String), more_info: expect.stringMatching(/^https:\/\/www\.twilio\.com\/docs\/errors\/\d+$/), status: response.status });
        expect(op.statuses, where).toContain(response.status);
        expect(await stateOf(tenant.tenantId), where).toEqual(before);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  const names = ["PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "OutId", "PhoneNumberJson", "SignNameJson", "TemplateParamJson", "PhoneNumber", "SendDate", "PageSize", "CurrentPage", "BizId", "IsGlobe", "StartDate", "EndDate", "PageIndex", "TemplateType", "TemplateName", "TemplateContent", "Remark", "SignSource"];
  it("Alibaba POST / (every action, signed)", async () => {
    const request = fc.record({
      action: fc.oneof(fc.constantFrom(...ACTIONS), oddText),
      pairs: fc.uniqueArray(fc.tuple(fc.constantFrom(...names), oddText), { maxLength: 6, selector: ([name]) => name }),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ action, pairs }) => {
        let query: string;
        try {
          query = signedQuery(alibaba, [["Action", action], ...pairs]);
        } catch {
          return; // a lone surrogate cannot be percent-encoded by any client
        }
        const before = await stateOf(tenant.tenantId);
        const response = await call(`/?${query}`, { method: "POST" });
        const text = await response.text();
        const where = `${action} ${JSON.stringify(pairs).slice(0, 300)} → ${response.status} ${text.slice(0, 300)}`;
        expect(response.status, where).toBeLessThan(500);
        const answer = JSON.parse(text);
        expect(answer, where).toEqual(expect.objectContaining({ RequestId: expect.any(String), Code: expect.any(String), Message: expect.any(String) }));
        expect([200, 400, 403, 404], where).toContain(response.status);
        if (answer.Code !== "OK") expect(await stateOf(tenant.tenantId), where).toEqual(before);
      }),
      { numRuns: RUNS * 4, seed: SEED, endOnFailure: true },
    );
  });
});
