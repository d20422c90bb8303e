import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { events, inboundMessages, messages } from "../../src/db/schema";
import { decryptText, encryptText } from "../../src/lib/data-crypto";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { createBatch, expanded, waitForBatch } from "../helpers/batches";
import { account, fundedLiveTenant, send } from "../helpers/meter";
import { postSigned } from "../helpers/receipts";
import { dbHolding, dbOf, insertQueuedMessage, number, simulatorSubmissionsTo, waitForStatus } from "../helpers/seed";

const stored = async (id: string) => (await (await dbHolding("messages", id)).select({ body: messages.body }).from(messages).where(eq(messages.id, id)))[0]!.body;

describe("message bodies and inbound texts are encrypted at rest", () => {
  it("a send is stored encrypted and read back as written by its tenant; the simulator keeps neither number nor body", async () => {
    const { key } = await createTenant();
    const to = number();
    const message = await sendMessage(key, { to, body: "Your code is 864209" });
    expect(message.body).toBe("Your code is 864209");
    const atRest = await stored(message.id);
    expect(atRest).toMatch(/^enc:v1:t2:/);
    expect(atRest).not.toContain("864209");
    expect((await okJson(await call(`/v1/messages/${message.id}`, { key }), 200)).body).toBe("Your code is 864209");
    expect((await okJson(await call("/v1/messages", { key }), 200)).data[0].body).toBe("Your code is 864209");
    await waitForStatus(key, message.id, "delivered");
    expect((await simulatorSubmissionsTo(to)).map((s) => [s.messageId, s.outcome, Object.keys(s).sort()])).toEqual([
      [message.id, "delivered", ["createdAt", "id", "messageId", "outcome"]],
    ]);
  });

  it("a batch's messages are stored encrypted and listed in clear", async () => {
    const { key } = await createTenant();
    const batch = await createBatch(key, { type: "notification", body: "Statement ready", recipients: [{ to: number() }, { to: number() }] });
    await waitForBatch(key, batch.id, expanded);
    const rows = await (await dbHolding("batches", batch.id)).select({ body: messages.body }).from(messages).where(eq(messages.batchId, batch.id));
    expect(rows.map((r) => r.body.startsWith("enc:v1:"))).toEqual([true, true]);
    const listed = await okJson(await call(`/v1/batches/${batch.id}/messages`, { key }), 200);
    expect(listed.data.map((m: { body: string }) => m.body)).toEqual(["Statement ready", "Statement ready"]);
  });

  it("an inbound reply's text, payload and event are stored encrypted, and read and delivered in clear", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const own = number("0100");
    await okJson(await call(`/v1/admin/tenants/${tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
    await okJson(await postSigned("/webhooks/simulator/inbound", { from: number(), to: own, text: "my account is 4421", received_at: new Date().toISOString() }), 200);
    const [row] = await db.select().from(inboundMessages).where(eq(inboundMessages.to, own));
    expect(row!.text).toMatch(/^enc:v1:/);
    expect(row!.payload).toMatch(/^enc:v1:/);
    const [event] = await db.select().from(events).where(eq(events.tenantId, tenantId));
    expect(JSON.stringify(event!.data)).not.toContain("4421");
    expect((await okJson(await call("/v1/inbound", { key }), 200)).data[0]).toMatchObject({ text: "my account is 4421" });
    expect((await okJson(await call("/v1/events", { key }), 200)).data[0].data).toMatchObject({ text: "my account is 4421" });
  });

  it("rows stored before encryption are read as they were", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const row = await insertQueuedMessage(tenantId, number());
    await db.update(messages).set({ body: "written in clear long ago" }).where(eq(messages.id, row.id));
    expect((await okJson(await call(`/v1/messages/${row.id}`, { key }), 200)).body).toBe("written in clear long ago");
  });
});

describe("keys", () => {
  const [current, previous] = env.DATA_ENCRYPTION_KEY.split(",");

  it("each tenant has its own: one tenant's ciphertext does not open under another's key", async () => {
    const sealed = await encryptText(env.DATA_ENCRYPTION_KEY, "ten_a", "secret");
    expect(await decryptText(env.DATA_ENCRYPTION_KEY, "ten_a", sealed)).toBe("secret");
    await expect(decryptText(env.DATA_ENCRYPTION_KEY, "ten_b", sealed)).rejects.toThrow();
  });

  it("rotate by key id: the first key encrypts, an older one still decrypts what it sealed, a dropped one is reported", async () => {
    const underOld = await encryptText(previous, "ten_a", "from before the rotation");
    expect(underOld).toMatch(/^enc:v1:t1:/);
    expect(await encryptText(env.DATA_ENCRYPTION_KEY, "ten_a", "x")).toMatch(/^enc:v1:t2:/);
    expect(await decryptText(env.DATA_ENCRYPTION_KEY, "ten_a", underOld)).toBe("from before the rotation");
    await expect(decryptText(current, "ten_a", underOld)).rejects.toThrow(/no DATA_ENCRYPTION_KEY with id t1/);
  });

  it("without a configured key a send fails closed: 500, nothing stored, nothing charged", async () => {
    const { key } = await fundedLiveTenant(10_000);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    const request = new Request("http://gateway.test/v1/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ to: number(), body: "hello" }),
    });
    const response = await app.fetch(request, { ...env, DATA_ENCRYPTION_KEY: undefined } as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    await expectProblem(response, 500, "internal_error");
    expect((await account(key)).balance).toBe(10_000);
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
    vi.restoreAllMocks();
    expect((await send(key, { to: number(), body: "hello" })).status).toBe(202);
  });
});
