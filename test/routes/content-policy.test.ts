import { afterEach, describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson, liveKeyFor } from "../helpers/api";
import { approvedTemplate, createTemplate, putPlatformRules, putTenantPolicy } from "../helpers/catalog";
import { account, fundedLiveTenant, send, dryRun } from "../helpers/meter";
import { number } from "../helpers/seed";

// Platform rules apply to every tenant in this file's database: each test that sets them clears them.
afterEach(async () => {
  await putPlatformRules([]);
});

describe("content rules", () => {
  it("blocks platform-listed words through case, full-width letters and spacing, naming the rule, and writes and charges nothing", async () => {
    const { rules } = await putPlatformRules([
      { label: "Gambling", kind: "word", value: "casino" },
      { label: "Loan spam", kind: "pattern", value: "loan\\s*approved" },
    ]);
    expect(rules.map((r: { id: string }) => r.id)).toEqual([expect.stringMatching(/^rul_/), expect.stringMatching(/^rul_/)]);
    const { key } = await fundedLiveTenant(100_000);
    for (const body of ["Play CASINO now", "Ｃａｓｉｎｏ night", "c a s i n o", "c.a.s.i.n.o", "CaSiNo"]) {
      const problem = await expectProblem(await send(key, { to: number(), body }), 422, "content_blocked");
      expect(problem).toMatchObject({ rule: { id: rules[0].id, label: "Gambling" } });
    }
    expect(await expectProblem(await send(key, { to: number(), body: "Your LOAN approved!" }), 422, "content_blocked")).toMatchObject({
      rule: { label: "Loan spam" },
    });
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
    expect((await account(key)).balance).toBe(100_000);
    expect((await okJson(await call("/v1/admin/content-rules", { headers: ADMIN }), 200)).rules).toEqual(rules);
  });

  it("applies a tenant's own rules to that tenant only, and keeps rule ids across updates", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const policy = await putTenantPolicy(a.key, { rules: [{ label: "Competitor", kind: "word", value: "globex" }] });
    await expectProblem(await send(a.key, { to: number(), body: "Better than Globex!" }), 422, "content_blocked");
    expect((await send(b.key, { to: number(), body: "Better than Globex!" })).status).toBe(202);
    const again = await putTenantPolicy(a.key, { rules: [...policy.rules, { label: "Other", kind: "word", value: "initech" }] });
    expect(again.rules[0].id).toBe(policy.rules[0].id);
    expect(await okJson(await call("/v1/content-rules", { key: a.key }), 200)).toEqual(again);
  });

  it("screens rendered templates, parameters included, and rejects blocked templates at submit", async () => {
    const { key } = await createTenant();
    await putTenantPolicy(key, { rules: [{ label: "Crypto", kind: "word", value: "bitcoin" }] });
    const rejected = await createTemplate(key, { name: "x", type: "notification", body: "Buy BITCOIN, {{name}}" });
    expect(rejected.rejection_reasons).toEqual([expect.stringMatching(/^blocked content: Crypto \(rul_/)]);
    const template = await approvedTemplate(key, { name: "y", type: "notification", body: "Hello {{name}}" });
    await expectProblem(await send(key, { to: number(), template_id: template.id, params: { name: "b i t c o i n" } }), 422, "content_blocked");
    expect((await send(key, { to: number(), template_id: template.id, params: { name: "Ann" } })).status).toBe(202);
  });

  it("refuses invalid rules", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(
      await call("/v1/content-rules", {
        method: "PUT",
        key: await liveKeyFor(key),
        json: { rules: [{ label: "bad", kind: "pattern", value: "([a-z" }, { label: "empty", kind: "word", value: "!!" }], allowed_domains: ["not a domain"] },
      }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.rules.0.value", "body.rules.1.value", "body.allowed_domains.0"]);
  });
});

describe("tenant patterns cannot stall anyone", () => {
  it("a catastrophic pattern answers at once, for its tenant and for everyone else", async () => {
    const a = await createTenant();
    const b = await createTenant();
    await putTenantPolicy(a.key, { rules: [{ label: "evil", kind: "pattern", value: "^(a+)+$" }, { label: "nested", kind: "pattern", value: "(x+x+)+y" }] });
    // A backtracking engine takes minutes on each of these; RE2 is linear in the text.
    const hostile = ["a".repeat(34) + "b", "x".repeat(1_000) + "z", "a".repeat(1_000) + "!"];
    const answers = await Promise.all([
      ...hostile.map((body) => dryRun(a.key, { to: number(), body })),
      call("/v1/account", { key: b.key }),
    ]);
    for (const response of answers.slice(0, 3)) expect(response.status).toBe(200);
    expect(answers[3]!.status).toBe(200);
    // And the pattern still works as a pattern.
    await expectProblem(await send(a.key, { to: number(), body: "aaaa" }), 422, "content_blocked");
  });

  it("refuses patterns RE2 cannot run in linear time (backreferences, lookaround) when they are saved", async () => {
    const { key } = await createTenant();
    for (const value of ["(a)\\1", "foo(?=bar)", "(?<!x)y"]) {
      const problem = await expectProblem(
        await call("/v1/content-rules", { method: "PUT", key: await liveKeyFor(key), json: { rules: [{ label: "x", kind: "pattern", value }] } }),
        422,
        "validation_failed",
      );
      expect(problem.errors).toEqual([{ path: "body.rules.0.value", message: expect.stringContaining("RE2") }]);
    }
    expect((await okJson(await call("/v1/content-rules", { key }), 200)).rules).toEqual([]);
  });
});

describe("link policy", () => {
  it("blocks public URL shorteners in marketing by default, and allows them on request", async () => {
    const { key } = await createTenant();
    const promo = { to: number(), type: "marketing", body: "Sale at bit.ly/acme-sale" };
    expect(await expectProblem(await send(key, promo), 422, "content_blocked")).toMatchObject({ rule: { id: "links.url_shorteners" } });
    expect((await send(key, { ...promo, type: "notification", to: number() })).status).toBe(202);
    await putTenantPolicy(key, { allow_url_shorteners: true });
    expect((await send(key, { ...promo, to: number() })).status).toBe(202);
  });

  it("allows only registered domains when the tenant says so", async () => {
    const { key } = await createTenant();
    await putTenantPolicy(key, { allowed_domains: ["Acme.com"], enforce_allowed_domains: true });
    expect((await send(key, { to: number(), body: "Track it at https://track.acme.com/123" })).status).toBe(202);
    expect(await expectProblem(await send(key, { to: number(), body: "Log in at https://acme.com.evil.io" }), 422, "content_blocked")).toMatchObject({
      rule: { id: "links.allowed_domains" },
    });
  });
});

describe("marketing opt-out suffix", () => {
  it("is appended when the body lacks opt-out wording, and counts toward segments and price", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const body = "x".repeat(150);
    const message = await okJson(await send(key, { to: number(), type: "marketing", body }), 202);
    expect(message).toMatchObject({ body: `${body} Reply STOP to opt out`, segments: 2, price: 20_000 });
    const chinese = await okJson(await send(key, { to: number(), type: "marketing", body: "双十一大促" }), 202);
    expect(chinese.body).toBe("双十一大促回T退订");
    const already = await okJson(await send(key, { to: number(), type: "marketing", body: "Sale! Reply STOP to opt out" }), 202);
    expect(already.body).toBe("Sale! Reply STOP to opt out");
    await putTenantPolicy(key, { opt_out_suffix: "Txt STOP=end" });
    expect((await okJson(await send(key, { to: number(), type: "marketing", body: "Sale!" }), 202)).body).toBe("Sale! Txt STOP=end");
  });

  it("shows in a dry run, with the refusal a blocked body would get", async () => {
    const { key } = await createTenant();
    const preview = await okJson(await dryRun(key, { to: number(), type: "marketing", body: "Sale!" }), 200);
    expect(preview).toMatchObject({ would_send: true, body: "Sale! Reply STOP to opt out", segments: 1 });
    await putTenantPolicy(key, { rules: [{ label: "Sales", kind: "word", value: "sale" }] });
    const blocked = await okJson(await dryRun(key, { to: number(), type: "marketing", body: "Sale!" }), 200);
    expect(blocked).toMatchObject({ would_send: false, body: null, refusal: { code: "content_blocked", status: 422 } });
  });
});
