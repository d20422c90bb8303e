import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { SCOPES, requiredScope } from "../../src/domain/scopes";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { postTwilio } from "../helpers/carriers";
import { documentedOperations } from "../helpers/openapi";
import { postSigned } from "../helpers/receipts";
import { credit } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { number } from "../helpers/seed";

const network = mockNetwork();

/** One tenant, out of the sandbox, with a test key and a live key, and a number of its own. */
async function tenantWithBothKeys() {
  const test = await createTenant("live");
  const live = test;
  const testKey = await okJson(await call(`/v1/admin/tenants/${test.tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
  const own = number("0100");
  await okJson(await call(`/v1/admin/tenants/${test.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
  await credit(test.tenantId, 1_000_000);
  return { tenantId: test.tenantId, live: { key: live.key, id: live.keyId }, test: { key: testKey.key as string, id: testKey.id as string }, own };
}

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

describe("a key has the power of its mode", () => {
  it("a test key cannot see, cancel or list live messages and batches, nor the live key's events", async () => {
    const { live, test } = await tenantWithBothKeys();
    // Scheduled a day ahead: live traffic that stays put while the test key looks at it.
    const message = await okJson(await call("/v1/messages", { method: "POST", key: live.key, json: { to: number(), body: "Your code is 123456", send_at: tomorrow() } }), 202);
    const batch = await okJson(await call("/v1/batches", { method: "POST", key: live.key, json: { type: "notification", body: "hi", recipients: [{ to: number() }], send_at: tomorrow() } }), 202);

    await expectProblem(await call(`/v1/messages/${message.id}`, { key: test.key }), 404, "not_found");
    await expectProblem(await call(`/v1/messages/${message.id}/cancel`, { method: "POST", key: test.key }), 404, "not_found");
    expect((await okJson(await call("/v1/messages", { key: test.key }), 200)).data).toEqual([]);
    await expectProblem(await call(`/v1/batches/${batch.id}`, { key: test.key }), 404, "not_found");
    await expectProblem(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key: test.key }), 404, "not_found");
    expect((await okJson(await call("/v1/batches", { key: test.key }), 200)).data).toEqual([]);
    expect((await okJson(await call("/v1/events", { key: test.key }), 200)).data).toEqual([]);

    // The live key still sees and holds all of it.
    expect((await okJson(await call(`/v1/messages/${message.id}`, { key: live.key }), 200)).status).toBe("scheduled");
    expect((await okJson(await call(`/v1/messages/${message.id}/cancel`, { method: "POST", key: live.key }), 200)).status).toBe("canceled");
    const liveEvents = (await okJson(await call("/v1/events", { key: live.key }), 200)).data;
    expect(liveEvents.map((e: { data: { message_id: string; status: string } }) => [e.data.message_id, e.data.status])).toContainEqual([message.id, "canceled"]);
    expect((await okJson(await call("/v1/events", { key: test.key }), 200)).data).toEqual([]);
  });

  it("a test key lists and revokes test keys only, and creates keys of its own mode", async () => {
    const { live, test } = await tenantWithBothKeys();
    await expectProblem(await call(`/v1/keys/${live.id}`, { method: "DELETE", key: test.key }), 404, "not_found");
    expect((await okJson(await call("/v1/keys", { key: test.key }), 200)).data.map((k: { id: string }) => k.id)).toEqual([test.id]);
    const refused = await expectProblem(await call("/v1/keys", { method: "POST", key: test.key, json: { mode: "live" } }), 422, "validation_failed");
    expect(refused.errors).toEqual([{ path: "body.mode", message: "a test key creates only test keys" }]);
    // The live key still works.
    expect((await call("/v1/account", { key: live.key })).status).toBe(200);
  });

  it("replies from carriers are live, the simulator's are test: each key sees its own, and its endpoints get its own", async () => {
    const { live, test, own } = await tenantWithBothKeys();
    const received: string[] = [];
    network.use(
      http.post("https://hooks.example.com/:mode", async ({ request, params }) => {
        received.push(`${params.mode}: ${((await request.json()) as { data: { text: string } }).data.text}`);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const liveHook = await okJson(await call("/v1/webhooks", { method: "POST", key: live.key, json: { url: "https://hooks.example.com/live", events: ["message.inbound"] } }), 201);
    const testHook = await okJson(await call("/v1/webhooks", { method: "POST", key: test.key, json: { url: "https://hooks.example.com/test", events: ["message.inbound"] } }), 201);
    const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    await postTwilio("/webhooks/twilio/inbound", { MessageSid: sid, SmsMessageSid: sid, AccountSid: "ACx", From: number(), To: own, Body: "Your OTP was 998877?", NumMedia: "0" });
    await okJson(await postSigned("/webhooks/simulator/inbound", { from: number(), to: own, text: "hello from the simulator", received_at: new Date().toISOString() }), 200);

    const texts = async (key: string) => (await okJson(await call("/v1/inbound", { key }), 200)).data.map((r: { text: string }) => r.text);
    expect(await texts(live.key)).toEqual(["Your OTP was 998877?"]);
    expect(await texts(test.key)).toEqual(["hello from the simulator"]);

    // Endpoints are per mode too: the test key neither lists the live one nor receives live replies.
    expect((await okJson(await call("/v1/webhooks", { key: test.key }), 200)).data.map((e: { id: string }) => e.id)).toEqual([testHook.id]);
    await expectProblem(await call(`/v1/webhooks/${liveHook.id}`, { method: "DELETE", key: test.key }), 404, "not_found");
    const eventsOf = async (key: string) => (await okJson(await call("/v1/events", { key }), 200)).data.map((e: { data: { text: string } }) => e.data.text);
    expect(await eventsOf(live.key)).toEqual(["Your OTP was 998877?"]);
    expect(await eventsOf(test.key)).toEqual(["hello from the simulator"]);
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(2);
    expect(received.sort()).toEqual(["live: Your OTP was 998877?", "test: hello from the simulator"]);
  });
});

describe("restricted keys", () => {
  it("every tenant operation of the document needs a scope a key can be given", async () => {
    const { operations } = await documentedOperations();
    for (const op of operations.filter((o) => o.kind === "tenant")) {
      const scope = requiredScope(op.method, op.path.replace(/\{[^}]+\}/g, "x"));
      expect(SCOPES, `${op.method} ${op.path} needs ${scope}`).toContain(scope);
    }
  });

  it("a key with scopes does only what they name: 403 insufficient_scope names the missing one", async () => {
    const { key } = await createTenant();
    const restricted = await okJson(await call("/v1/keys", { method: "POST", key, json: { mode: "test", scopes: ["messages:send"] } }), 201);
    expect(restricted).toMatchObject({ mode: "test", scopes: ["messages:send"] });

    const sent = await okJson(await call("/v1/messages", { method: "POST", key: restricted.key, json: { to: number(), body: "hi" } }), 202);
    for (const [method, path, scope] of [
      ["GET", `/v1/messages/${sent.id}`, "messages:read"],
      ["GET", "/v1/messages", "messages:read"],
      ["POST", `/v1/messages/${sent.id}/cancel`, "messages:write"],
      ["GET", "/v1/account", "account:read"],
      ["POST", "/v1/keys", "keys:write"],
      ["PUT", "/v1/keywords", "inbound:write"],
      ["POST", "/v1/webhooks", "webhooks:write"],
    ] as const) {
      const problem = await expectProblem(await call(path, { method, key: restricted.key, json: method === "GET" ? undefined : {} }), 403, "insufficient_scope");
      expect(problem).toMatchObject({ scope });
    }
    // Keys made before scopes, and made without them, keep full access.
    expect((await okJson(await call("/v1/keys", { key }), 200)).data.find((k: { id: string }) => k.id === restricted.id).scopes).toEqual(["messages:send"]);
    expect((await call(`/v1/messages/${sent.id}`, { key })).status).toBe(200);
  });

  it("a restricted key creates only keys restricted to scopes it has", async () => {
    const { key } = await createTenant();
    const admin = await okJson(await call("/v1/keys", { method: "POST", key, json: { mode: "test", scopes: ["keys:write", "keys:read", "messages:read"] } }), 201);
    await expectProblem(await call("/v1/keys", { method: "POST", key: admin.key, json: { mode: "test" } }), 403, "insufficient_scope");
    expect(await expectProblem(await call("/v1/keys", { method: "POST", key: admin.key, json: { mode: "test", scopes: ["messages:send"] } }), 403, "insufficient_scope")).toMatchObject({
      scope: "messages:send",
    });
    const narrower = await okJson(await call("/v1/keys", { method: "POST", key: admin.key, json: { mode: "test", scopes: ["messages:read"] } }), 201);
    expect(narrower.scopes).toEqual(["messages:read"]);
    await expectProblem(await call("/v1/keys", { method: "POST", key, json: { mode: "test", scopes: ["messages:fly"] } }), 422, "validation_failed");
  });
});
