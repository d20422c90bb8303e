import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson, liveKeyFor } from "../helpers/api";
import { approvedTemplate, createTemplate, review } from "../helpers/catalog";
import { fundedLiveTenant, send } from "../helpers/meter";
import { number } from "../helpers/seed";

const OTP = { name: "Login code", type: "otp", body: "Your Acme code is {{code}}. It expires in {{minutes}} minutes." };
const params = { code: "493021", minutes: "10" };

/** A live key and a test key of one funded tenant. */
async function liveAndTestKeys() {
  const { tenantId, key } = await fundedLiveTenant(10_000_000);
  const test = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
  return { tenantId, live: key, test: test.key as string };
}

describe("template review", () => {
  it("waits for an operator; live keys send it once approved, and each message records template and version", async () => {
    const { live } = await liveAndTestKeys();
    const template = await createTemplate(live, OTP);
    expect(template).toMatchObject({
      status: "pending_review",
      version: 1,
      type: "otp",
      placeholders: ["code", "minutes"],
      rejection_reasons: null,
      approved_version: null,
    });
    expect(template.id).toMatch(/^tpl_/);

    const notYet = await expectProblem(await send(live, { to: number(), template_id: template.id, params }), 422, "template_not_approved");
    expect(notYet.detail).toMatch(/live keys send approved templates only/);

    const queue = await okJson(await call("/v1/admin/templates?status=pending_review&limit=100", { headers: ADMIN }), 200);
    expect(queue.data.map((t: { id: string }) => t.id)).toContain(template.id);

    const approved = await okJson(await review("templates", template.id, "approve"), 200);
    expect(approved).toMatchObject({ status: "approved", approved_version: 1, version: 1 });
    await expectProblem(await review("templates", template.id, "approve"), 409, "review_not_pending");
    await expectProblem(await review("templates", template.id, "reject"), 409, "review_not_pending");

    const message = await okJson(await send(live, { to: number(), template_id: template.id, params }), 202);
    expect(message).toMatchObject({
      body: "Your Acme code is 493021. It expires in 10 minutes.",
      type: "otp",
      template_id: template.id,
      template_version: 1,
    });
  });

  it("rejects at submit, listing every reason, and such a template cannot be approved", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { name: "Promo", type: "marketing", body: "Big sale {{Item}} {{x}} {{x}}!" });
    expect(template.status).toBe("rejected");
    expect(template.rejection_reasons).toEqual([
      "malformed placeholder: {{Item}}",
      "duplicated placeholder: {{x}}",
      'a marketing template needs opt-out wording, e.g. "Reply STOP to opt out", 回T退订 or 拒收请回复R',
    ]);
    await expectProblem(await review("templates", template.id, "approve"), 409, "review_not_pending");
    await expectProblem(await send(key, { to: number(), template_id: template.id, params: {} }), 422, "template_not_approved");

    // Fixed, it is a new version that waits for review.
    const fixed = await okJson(
      await call(`/v1/templates/${template.id}`, { method: "PATCH", key: await liveKeyFor(key), json: { body: "Big sale {{item}}! Reply STOP to opt out" } }),
      200,
    );
    expect(fixed).toMatchObject({ version: 2, status: "pending_review", rejection_reasons: null, placeholders: ["item"] });
  });

  it("makes one new version per edit when edits race, and refuses the ones that lost", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { name: "race", type: "notification", body: "v1 {{x}}" });
    const live = await liveKeyFor(key);
    const responses = await Promise.all([2, 3, 4, 5, 6].map((n) => call(`/v1/templates/${template.id}`, { method: "PATCH", key: live, json: { body: `edit ${n} {{x}}` } })));
    const won = responses.filter((r) => r.status === 200);
    for (const r of responses.filter((r) => r.status !== 200)) await expectProblem(r, 409, "edit_conflict");
    expect(won.length).toBeGreaterThanOrEqual(1);
    const final = await okJson(await call(`/v1/templates/${template.id}`, { key }), 200);
    expect(final.version).toBe(1 + won.length);
  });

  it("records an operator's rejection with its reason", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { name: "Notice", type: "notification", body: "Your order {{order}} shipped" });
    const rejected = await okJson(await review("templates", template.id, "reject", "Brand name missing"), 200);
    expect(rejected).toMatchObject({ status: "rejected", rejection_reasons: ["Brand name missing"], approved_version: null, tenant_id: expect.any(String) });
    const problem = await expectProblem(
      await call(`/v1/admin/templates/${template.id}/reject`, { method: "POST", headers: ADMIN, json: {} }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.reason"]);
  });

  it("keeps serving the approved version while an edit waits for review, then serves the new one", async () => {
    const { live, test } = await liveAndTestKeys();
    const v1 = await approvedTemplate(live, OTP);

    const edited = await okJson(
      await call(`/v1/templates/${v1.id}`, { method: "PATCH", key: await liveKeyFor(live), json: { body: "Acme code: {{code}} (valid {{minutes}} min)" } }),
      200,
    );
    expect(edited).toMatchObject({ version: 2, status: "pending_review", approved_version: 1 });

    expect(await okJson(await send(live, { to: number(), template_id: v1.id, params }), 202)).toMatchObject({
      template_version: 1,
      body: "Your Acme code is 493021. It expires in 10 minutes.",
    });
    // A test key may try the version under review.
    expect(await okJson(await send(test, { to: number(), template_id: v1.id, params }), 202)).toMatchObject({
      template_version: 2,
      body: "Acme code: 493021 (valid 10 min)",
    });

    await okJson(await review("templates", v1.id, "approve"), 200);
    expect(await okJson(await send(live, { to: number(), template_id: v1.id, params }), 202)).toMatchObject({ template_version: 2 });

    // A rename is not a new version; a third version that is rejected leaves version 2 serving everyone.
    expect(await okJson(await call(`/v1/templates/${v1.id}`, { method: "PATCH", key: await liveKeyFor(live), json: { name: "Renamed" } }), 200)).toMatchObject({
      name: "Renamed",
      version: 2,
      status: "approved",
    });
    const v3 = await okJson(await call(`/v1/templates/${v1.id}`, { method: "PATCH", key: await liveKeyFor(live), json: { body: "Your pin is {{pin}}" } }), 200);
    expect(v3).toMatchObject({ version: 3, status: "rejected", approved_version: 2 });
    expect(await okJson(await send(test, { to: number(), template_id: v1.id, params }), 202)).toMatchObject({ template_version: 2 });
  });
});

describe("sending by template", () => {
  it("lists every missing and unknown param, and checks lengths and otp codes", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { ...OTP, params: { minutes: { max_length: 3 } } });
    const problem = await expectProblem(
      await send(key, { to: number(), template_id: template.id, params: { code: "12ab", minutes: "1000", coupon: "x" } }),
      422,
      "validation_failed",
    );
    expect(problem.errors).toEqual([
      { path: "body.params.code", message: "an otp code is 4–10 digits" },
      { path: "body.params.minutes", message: "at most 3 characters" },
      { path: "body.params.coupon", message: "unknown: the template has no such placeholder" },
    ]);
    const missing = await expectProblem(await send(key, { to: number(), template_id: template.id }), 422, "validation_failed");
    expect(missing.errors?.map((e) => e.path)).toEqual(["body.params.code", "body.params.minutes"]);
    const mismatch = await expectProblem(await send(key, { to: number(), template_id: template.id, params, type: "marketing" }), 422, "validation_failed");
    expect(mismatch.errors?.map((e) => e.path)).toEqual(["body.type"]);
  });

  it("takes exactly one of body and template_id, and params only with a template", async () => {
    const { key } = await createTenant();
    for (const [json, path] of [
      [{ to: number() }, "body.body"],
      [{ to: number(), body: "x", template_id: "tpl_x" }, "body.body"],
      [{ to: number(), body: "x", params: { a: "b" } }, "body.params"],
    ] as const) {
      const problem = await expectProblem(await send(key, json), 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(path);
    }
  });

  it("sends a value that looks like a placeholder literally", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { name: "Hello", type: "notification", body: "Hi {{name}}, your ref is {{ref}}" });
    const message = await okJson(await send(key, { to: number(), template_id: template.id, params: { name: "{{ref}}", ref: "{{name}}" } }), 202);
    expect(message.body).toBe("Hi {{ref}}, your ref is {{name}}");
  });

  it("counts segments and price of the rendered text: GSM-7, Chinese and emoji", async () => {
    const { live } = await liveAndTestKeys();
    const template = await approvedTemplate(live, { name: "Greeting", type: "notification", body: `${"x".repeat(150)} {{name}}` });
    const cases = [
      ["José", "GSM-7", 1],
      ["José Müller", "GSM-7", 2],
      ["张伟", "UCS-2", 3],
      ["😀", "UCS-2", 3],
    ] as const;
    for (const [name, encoding, segments] of cases) {
      const message = await okJson(await send(live, { to: number(), template_id: template.id, params: { name } }), 202);
      expect({ name, encoding: message.encoding, segments: message.segments, price: message.price }).toEqual({
        name,
        encoding,
        segments,
        price: segments * 10_000,
      });
    }
  });
});

describe("template management", () => {
  it("lists templates newest first, filtered by status and type, a page at a time", async () => {
    const { key } = await createTenant();
    const a = await createTemplate(key, { name: "a", type: "notification", body: "A {{x}}" });
    const b = await approvedTemplate(key, { name: "b", type: "otp", body: "B {{code}}" });
    const c = await createTemplate(key, { name: "c", type: "notification", body: "C {{x}}" });
    const first = await okJson(await call("/v1/templates?limit=2", { key }), 200);
    expect(first.data.map((t: { id: string }) => t.id)).toEqual([c.id, b.id]);
    const second = await okJson(await call(`/v1/templates?limit=2&cursor=${first.next_cursor}`, { key }), 200);
    expect(second).toMatchObject({ data: [{ id: a.id }], next_cursor: null });
    expect((await okJson(await call("/v1/templates?status=approved", { key }), 200)).data.map((t: { id: string }) => t.id)).toEqual([b.id]);
    expect((await okJson(await call("/v1/templates?type=notification", { key }), 200)).data.map((t: { id: string }) => t.id)).toEqual([c.id, a.id]);
  });

  it("gives operators the review queue oldest first, a page at a time", async () => {
    const { key } = await createTenant();
    const ids: string[] = [];
    for (const name of ["q1", "q2", "q3"]) ids.push((await createTemplate(key, { name, type: "notification", body: `${name} {{x}}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await okJson(await call(`/v1/admin/templates?status=pending_review&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: ADMIN }), 200);
      seen.push(...page.data.map((t: { id: string }) => t.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    await expectProblem(await call("/v1/admin/templates?cursor=bm9wZQ", { headers: ADMIN }), 422, "validation_failed");
    await expectProblem(await call("/v1/admin/senders?cursor=bm9wZQ", { headers: ADMIN }), 422, "validation_failed");
    await expectProblem(await review("templates", "tpl_missing", "approve"), 404, "not_found");
    await expectProblem(await review("senders", "snd_missing", "reject"), 404, "not_found");
  });

  it("deletes a template: it is gone from the API and cannot be sent", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, { name: "gone", type: "notification", body: "Bye {{x}}" });
    expect((await call(`/v1/templates/${template.id}`, { method: "DELETE", key: await liveKeyFor(key) })).status).toBe(204);
    await expectProblem(await call(`/v1/templates/${template.id}`, { key }), 404, "not_found");
    await expectProblem(await send(key, { to: number(), template_id: template.id, params: { x: "1" } }), 404, "not_found");
    await expectProblem(await call(`/v1/templates/${template.id}`, { method: "DELETE", key: await liveKeyFor(key) }), 404, "not_found");
  });

  it("validates what a template is made of", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(
      await call("/v1/templates", { method: "POST", key, json: { name: "", type: "promo", body: "x", params: { Bad: { max_length: 5 }, ok: { max_length: 0 } } } }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["body.name", "body.params.Bad", "body.params.ok.max_length", "body.type"]);
    await expectProblem(await call("/v1/templates/tpl_nope", { method: "PATCH", key: await liveKeyFor(key), json: { type: "otp" } }), 422, "validation_failed");
  });

  it("hides another tenant's templates: every use of their id is a 404", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const template = await createTemplate(owner.key, OTP);
    await expectProblem(await call(`/v1/templates/${template.id}`, { key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/templates/${template.id}`, { method: "PATCH", key: await liveKeyFor(other.key), json: { name: "mine" } }), 404, "not_found");
    await expectProblem(await call(`/v1/templates/${template.id}`, { method: "DELETE", key: await liveKeyFor(other.key) }), 404, "not_found");
    await expectProblem(await send(other.key, { to: number(), template_id: template.id, params }), 404, "not_found");
    expect((await okJson(await call("/v1/templates", { key: other.key }), 200)).data).toEqual([]);
    expect((await okJson(await call(`/v1/templates/${template.id}`, { key: owner.key }), 200)).name).toBe("Login code");
  });
});

describe("idempotency with templates", () => {
  it("tells requests apart by their params", async () => {
    const { key } = await createTenant();
    const template = await createTemplate(key, OTP);
    const headers = { "Idempotency-Key": "tpl-key" };
    const first = await okJson(await send(key, { to: number(), template_id: template.id, params }, { headers }), 202);
    const again = await send(key, { to: first.to, template_id: template.id, params: { minutes: "10", code: "493021" } }, { headers });
    expect((await okJson(again, 202)).id).toBe(first.id);
    await expectProblem(
      await send(key, { to: first.to, template_id: template.id, params: { ...params, code: "000000" } }, { headers }),
      422,
      "idempotency_mismatch",
    );
  });
});
