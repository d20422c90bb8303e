// A test key's power ends where live traffic begins: it reads the block and allow lists but cannot change them (so
// it cannot lift a live opt-out), its erasure reaches test traffic only, and a live opt-out is lifted only by the
// handset's START or by a live key with a recorded reason.
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { ADMIN, call, expectProblem, okJson } from "../helpers/api";
import { postTwilio } from "../helpers/carriers";
import { fundedLiveTenant, send } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { number, waitForStatus } from "../helpers/seed";

const network = mockNetwork();
const enc = encodeURIComponent;

async function tenantWithBothKeys() {
  const live = await fundedLiveTenant(1_000_000);
  const test = await okJson(await call(`/v1/admin/tenants/${live.tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
  const own = number("0100");
  await okJson(await call(`/v1/admin/tenants/${live.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
  return { tenantId: live.tenantId, live: live.key, test: test.key as string, own };
}

describe("modes", () => {
  it("a live opt-out is not lifted by a test key; a live key lifts it only with a reason, recorded as an event", async () => {
    network.use(http.post(/hooks\.example\.com/, () => new HttpResponse(null, { status: 204 })));
    const { live, test, own } = await tenantWithBothKeys();
    const handset = number();
    // The handset replies STOP through a carrier: a live opt-out.
    expect((await postTwilio("/webhooks/twilio/inbound", { From: handset, To: own, Body: "STOP", MessageSid: "SMmodes0001" })).status).toBe(200);
    await expectProblem(await send(live, { to: handset, body: "offer" }), 422, "recipient_opted_out");

    await expectProblem(await call(`/v1/blocklist/${enc(handset)}`, { method: "DELETE", key: test }), 403, "test_key_read_only");
    await expectProblem(await call(`/v1/blocklist/${enc(number())}`, { method: "PUT", key: test }), 403, "test_key_read_only");
    await expectProblem(await call(`/v1/allowlist/${enc(number())}`, { method: "PUT", key: test }), 403, "test_key_read_only");
    // Still opted out for live traffic; the test key still reads the list.
    await expectProblem(await send(live, { to: handset, body: "offer" }), 422, "recipient_opted_out");
    expect((await okJson(await call("/v1/blocklist?limit=100", { key: test }), 200)).data.map((e: { number: string }) => e.number)).toContain(handset);

    const noReason = await expectProblem(await call(`/v1/blocklist/${enc(handset)}`, { method: "DELETE", key: live }), 422, "validation_failed");
    expect(noReason.errors?.map((e) => e.path)).toEqual(["query.reason"]);
    expect((await call(`/v1/blocklist/${enc(handset)}?reason=${enc("customer asked by phone")}`, { method: "DELETE", key: live })).status).toBe(204);
    const events = (await okJson(await call("/v1/events?limit=100", { key: live }), 200)).data as { type: string; data: Record<string, unknown> }[];
    expect(events.filter((e) => e.type === "opt_out.lifted").map((e) => e.data)).toEqual([
      expect.objectContaining({ number: handset, reason: "customer asked by phone", lifted_by: "api_key" }),
    ]);
    // The test key's events are its own mode's: it does not see the live lift.
    expect((await okJson(await call("/v1/events?limit=100", { key: test }), 200)).data.filter((e: { type: string }) => e.type === "opt_out.lifted")).toEqual([]);
    expect((await send(live, { to: handset, body: "welcome back" })).status).toBe(202);
  });

  it("a test key reads shared settings and adds new ones, but changes or deletes nothing live traffic uses", async () => {
    const { live, test } = await tenantWithBothKeys();
    const template = await okJson(await call("/v1/templates", { method: "POST", key: live, json: { name: "live", type: "notification", body: "Hi {{name}}" } }), 201);
    expect((await call(`/v1/templates/${template.id}`, { key: test })).status).toBe(200);
    for (const [method, path, json] of [
      ["PATCH", `/v1/templates/${template.id}`, { body: "Changed {{name}}" }],
      ["DELETE", `/v1/templates/${template.id}`, undefined],
      ["PUT", "/v1/keywords", { opt_out: ["STOP"] }],
      ["PUT", "/v1/content-rules", { rules: [] }],
      ["PUT", "/v1/account/quiet-hours", { start: "21:00", end: "08:00" }],
      ["POST", "/v1/contacts/import", [{ phone: number() }]],
    ] as const) {
      await expectProblem(await call(path, { method, key: test, ...(json && { json }) }), 403, "test_key_read_only");
    }
    // A new template, sender or group is the test key's to add: nothing live uses it yet.
    expect((await call("/v1/templates", { method: "POST", key: test, json: { name: "mine", type: "notification", body: "Hi" } })).status).toBe(201);
    expect((await call("/v1/groups", { method: "POST", key: test, json: { name: "mine" } })).status).toBe(201);
    // The live template is as it was.
    expect((await okJson(await call(`/v1/templates/${template.id}`, { key: live }), 200)).body).toBe("Hi {{name}}");
  });

  it("a test key's erasure reaches test traffic only; a live key's reaches both modes", async () => {
    const { live, test } = await tenantWithBothKeys();
    const handset = number();
    const liveMessage = await okJson(await send(live, { to: handset, body: "live hello" }), 202);
    const testMessage = await okJson(await send(test, { to: handset, body: "test hello" }), 202);
    await waitForStatus(live, liveMessage.id, "delivered");
    await waitForStatus(test, testMessage.id, "delivered");

    const byTest = await okJson(await call(`/v1/recipients/${enc(handset)}/erase`, { method: "POST", key: test }), 200);
    expect(byTest).toMatchObject({ erased: { messages: 1 }, block_kept_as_hash: false, allowlist_removed: false });
    expect(await okJson(await call(`/v1/messages/${testMessage.id}`, { key: test }), 200)).toMatchObject({ to: "[erased]", body: "[erased]" });
    expect(await okJson(await call(`/v1/messages/${liveMessage.id}`, { key: live }), 200)).toMatchObject({ to: handset, body: "live hello" });

    const byLive = await okJson(await call(`/v1/recipients/${enc(handset)}/erase`, { method: "POST", key: live }), 200);
    expect(byLive).toMatchObject({ erased: { messages: 1 } });
    expect(await okJson(await call(`/v1/messages/${liveMessage.id}`, { key: live }), 200)).toMatchObject({ to: "[erased]", body: "[erased]" });
  });
});
