import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { inboundMessages } from "../../src/db/schema";
import { openInbound } from "../../src/services/message-data";
import { DEFAULT_KEYWORDS } from "../../src/domain/keywords";
import { ADMIN, call, liveKeyOf, createTenant, expectProblem, okJson, liveKeyFor } from "../helpers/api";
import { send } from "../helpers/meter";
import { postSigned } from "../helpers/receipts";
import { control, number, waitForStatus } from "../helpers/seed";
import { injectFault, pendingFaults } from "../../src/lib/faults";

const PATH = "/webhooks/simulator/inbound";
const enc = encodeURIComponent;

/** A tenant with a number of its own, as an operator sets it up. */
async function tenantWithNumber() {
  const tenant = await createTenant();
  const own = number("0100");
  const assigned = await call(`/v1/admin/tenants/${tenant.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } });
  expect(await okJson(assigned, 201)).toMatchObject({ number: own, tenant_id: tenant.tenantId });
  return { ...tenant, own };
}

const reply = (from: string, to: string, text: string, webhookId?: string) =>
  postSigned(PATH, { from, to, text, received_at: new Date().toISOString() }, { webhookId });

async function blockEntry(key: string, numberE164: string) {
  const list = await okJson(await call("/v1/blocklist?limit=100", { key }), 200);
  return list.data.find((e: { number: string }) => e.number === numberE164) ?? null;
}

describe("inbound replies", () => {
  it.each(DEFAULT_KEYWORDS.opt_out.flatMap((k) => [k, ` ${k.toLowerCase()} `]))("opts the sender out on %j", async (keyword) => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    expect(await okJson(await reply(from, own, keyword), 200)).toEqual({ result: "recorded", action: "opt_out" });
    expect(await blockEntry(key, from)).toMatchObject({ source: "opt_out" });
    await expectProblem(await send(key, { to: from, body: "hi" }), 422, "recipient_opted_out");
  });

  it.each(DEFAULT_KEYWORDS.opt_in)("opts the sender back in on %j, but only from an opt-out", async (keyword) => {
    const { key, own, tenantId } = await tenantWithNumber();
    const optedOut = number();
    await reply(optedOut, own, "退订");
    expect(await okJson(await reply(optedOut, own, keyword.toLowerCase()), 200)).toEqual({ result: "recorded", action: "opt_in" });
    expect(await blockEntry(key, optedOut)).toBeNull();
    expect((await send(key, { to: optedOut, body: "welcome back" })).status).toBe(202);

    // A number the tenant blocked itself stays blocked, whatever its owner replies.
    const blocked = number();
    await okJson(await call(`/v1/blocklist/${enc(blocked)}`, { method: "PUT", key: await liveKeyOf(tenantId) }), 201);
    await reply(blocked, own, "STOP");
    await reply(blocked, own, keyword);
    expect(await blockEntry(key, blocked)).toMatchObject({ source: "api" });
  });

  it("answers HELP with the tenant's help text, as an ordinary message whose receipts flow", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    const webhookId = `evt_${crypto.randomUUID()}`;
    expect(await okJson(await reply(from, own, "help", webhookId), 200)).toEqual({ result: "recorded", action: "help" });
    // The carrier delivers the same webhook again: recorded once, answered once.
    expect(await okJson(await reply(from, own, "help", webhookId), 200)).toEqual({ result: "duplicate", action: "help" });
    const sent = await okJson(await call(`/v1/messages?to=${enc(from)}`, { key }), 200);
    expect(sent.data).toHaveLength(1);
    expect(sent.data[0]).toMatchObject({ body: DEFAULT_KEYWORDS.help_reply, price: 0 });
    await waitForStatus(key, sent.data[0].id, "delivered");
  });

  it("answers HELP even from a number that opted out, and sends it nothing else", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    await reply(from, own, "STOP");
    expect(await okJson(await reply(from, own, "HELP"), 200)).toMatchObject({ action: "help" });
    const sent = await okJson(await call(`/v1/messages?to=${enc(from)}`, { key }), 200);
    expect(sent.data.map((m: { body: string }) => m.body)).toEqual([DEFAULT_KEYWORDS.help_reply]);
    await expectProblem(await send(key, { to: from, body: "promo" }), 422, "recipient_opted_out");
  });

  it("records other replies without acting, linked to our latest message to the sender", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    const ours = await okJson(await send(key, { to: from, body: "Your table is ready" }), 202);
    expect(await okJson(await reply(from, own, "Stop by at 8?"), 200)).toEqual({ result: "recorded", action: null });
    const inbound = await okJson(await call("/v1/inbound", { key }), 200);
    expect(inbound.data).toMatchObject([{ from, to: own, text: "Stop by at 8?", action: null, in_reply_to: ours.id }]);
    expect(await blockEntry(key, from)).toBeNull();
  });

  it("follows the keywords and replies a tenant sets", async () => {
    const { key, own } = await tenantWithNumber();
    // STOP cannot be taken out of the opt-out keywords: carriers require it.
    const withoutStop = { ...DEFAULT_KEYWORDS, opt_out: ["ARRET"] };
    const refused = await expectProblem(await call("/v1/keywords", { method: "PUT", key: await liveKeyFor(key), json: withoutStop }), 422, "validation_failed");
    expect(refused.errors).toEqual([{ path: "body.opt_out", message: expect.stringContaining("STOP") }]);
    const keywords = { ...DEFAULT_KEYWORDS, opt_out: ["ARRET", "stop"], opt_out_reply: "Vous ne recevrez plus de messages." };
    expect(await okJson(await call("/v1/keywords", { method: "PUT", key: await liveKeyFor(key), json: keywords }), 200)).toEqual(keywords);
    const from = number();
    expect(await okJson(await reply(from, own, "UNSUBSCRIBE"), 200)).toMatchObject({ action: null });
    expect(await okJson(await reply(from, own, "arret"), 200)).toMatchObject({ action: "opt_out" });
    const sent = await okJson(await call(`/v1/messages?to=${enc(from)}`, { key }), 200);
    expect(sent.data.map((m: { body: string }) => m.body)).toEqual(["Vous ne recevrez plus de messages."]);
    expect(await okJson(await call("/v1/keywords", { key }), 200)).toEqual(keywords);
    // Another tenant keeps the defaults.
    const other = await createTenant();
    expect(await okJson(await call("/v1/keywords", { key: other.key }), 200)).toEqual(DEFAULT_KEYWORDS);
  });

  it("records a reply to a number no tenant has, and acknowledges it", async () => {
    const stranger = number("0199");
    const response = await reply(number(), stranger, "STOP");
    expect(await okJson(response, 200)).toEqual({ result: "unknown_destination", action: null });
    // A reply to no tenant's number has no shard: it is kept in the control database.
    const rows = await control.select().from(inboundMessages).where(eq(inboundMessages.to, stranger));
    expect(rows).toMatchObject([{ tenantId: null, text: expect.stringMatching(/^enc:v1:/) }]);
    expect((await openInbound(env.DATA_ENCRYPTION_KEY, rows[0]!)).text).toBe("STOP");
  });

  it("refuses an unsigned reply and records nothing", async () => {
    const { key, own } = await tenantWithNumber();
    await expectProblem(
      await call(PATH, { method: "POST", json: { from: number(), to: own, text: "STOP", received_at: new Date().toISOString() } }),
      401,
      "invalid_signature",
    );
    expect((await okJson(await call("/v1/inbound", { key }), 200)).data).toEqual([]);
  });

  it("lists replies by sender and time, and only the tenant's own", async () => {
    const a = await tenantWithNumber();
    const b = await tenantWithNumber();
    const from = number();
    const before = new Date(Date.now() - 1000).toISOString();
    await reply(from, a.own, "hello");
    await reply(number(), a.own, "hi");
    expect((await okJson(await call(`/v1/inbound?from=${enc(from)}`, { key: a.key }), 200)).data).toHaveLength(1);
    expect((await okJson(await call(`/v1/inbound?since=${enc(before)}`, { key: a.key }), 200)).data).toHaveLength(2);
    expect((await okJson(await call(`/v1/inbound?since=${enc(new Date(Date.now() + 60_000).toISOString())}`, { key: a.key }), 200)).data).toEqual([]);
    expect((await okJson(await call("/v1/inbound", { key: b.key }), 200)).data).toEqual([]);
  });

  it("assigns a number to one tenant only", async () => {
    const { own } = await tenantWithNumber();
    const other = await createTenant();
    await expectProblem(
      await call(`/v1/admin/tenants/${other.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }),
      409,
      "already_exists",
    );
  });
});

describe("keyword replies under redelivery and abuse", () => {
  const repliesTo = async (key: string, from: string) => (await okJson(await call(`/v1/messages?to=${enc(from)}`, { key }), 200)).data;

  it("two concurrent deliveries of one reply act once: one auto-reply", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    const webhookId = `evt_${crypto.randomUUID()}`;
    const answers = await Promise.all([reply(from, own, "HELP", webhookId), reply(from, own, "HELP", webhookId), reply(from, own, "HELP", webhookId)]);
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(await repliesTo(key, from)).toHaveLength(1);
  });

  it("answers one number at most 5 times a day, however many keywords it sends", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    for (let i = 0; i < 8; i++) expect((await reply(from, own, i % 2 ? "HELP" : " help ")).status).toBe(200);
    expect(await repliesTo(key, from)).toHaveLength(5);
    // Another number is answered as usual.
    const other = number();
    await okJson(await reply(other, own, "HELP"), 200);
    expect(await repliesTo(key, other)).toHaveLength(1);
  });

  it("records the opt-out even when its confirmation cannot be sent, and the redelivery sends it once", async () => {
    const { key, own } = await tenantWithNumber();
    await okJson(await call("/v1/keywords", { method: "PUT", key: await liveKeyFor(key), json: { ...DEFAULT_KEYWORDS, opt_out_reply: "You are unsubscribed." } }), 200);
    const from = number();
    const webhookId = `evt_${crypto.randomUUID()}`;
    injectFault("outbox_write");
    expect((await reply(from, own, "STOP", webhookId)).status).toBe(500);
    expect(pendingFaults()).toEqual([]);
    expect(await blockEntry(key, from)).toMatchObject({ source: "opt_out" });
    expect(await repliesTo(key, from)).toEqual([]);
    // The carrier sends it again: the confirmation goes out, once, though the number is now blocked.
    expect(await okJson(await reply(from, own, "STOP", webhookId), 200)).toMatchObject({ action: "opt_out" });
    expect(await okJson(await reply(from, own, "STOP", webhookId), 200)).toMatchObject({ result: "duplicate" });
    expect((await repliesTo(key, from)).map((m: { body: string }) => m.body)).toEqual(["You are unsubscribed."]);
  });
});

describe("opt-in confirmations", () => {
  it("are not sent to a number the tenant blocked itself, which START does not unblock", async () => {
    const { key, own, tenantId } = await tenantWithNumber();
    await okJson(await call("/v1/keywords", { method: "PUT", key: await liveKeyFor(key), json: { ...DEFAULT_KEYWORDS, opt_in_reply: "Welcome back." } }), 200);
    const blocked = number();
    await okJson(await call(`/v1/blocklist/${enc(blocked)}`, { method: "PUT", key: await liveKeyOf(tenantId), json: { reason: "abuse" } }), 201);
    expect(await okJson(await reply(blocked, own, "START"), 200)).toMatchObject({ action: "opt_in" });
    expect(await blockEntry(key, blocked)).toMatchObject({ source: "api" });
    expect((await okJson(await call(`/v1/messages?to=${enc(blocked)}`, { key }), 200)).data).toEqual([]);
    // A number that had only opted out is unblocked and welcomed back.
    const returning = number();
    await okJson(await reply(returning, own, "STOP"), 200);
    await okJson(await reply(returning, own, "START"), 200);
    const sent = (await okJson(await call(`/v1/messages?to=${enc(returning)}`, { key }), 200)).data.map((m: { body: string }) => m.body);
    expect(sent).toEqual(["Welcome back."]);
  });
});
