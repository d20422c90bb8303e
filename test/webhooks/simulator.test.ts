import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { signWebhook } from "../../src/lib/standard-webhooks";
import { call, createTenant, expectProblem, getMessage, okJson, sendMessage } from "../helpers/api";
import { sentVia } from "../helpers/carriers";
import { postReceipt, postSigned, receiptFor, receiptResult, SIMULATOR_STATUS_PATH } from "../helpers/receipts";
import { number, waitForStatus } from "../helpers/seed";

const PATH = SIMULATOR_STATUS_PATH;

async function deliveredMessage() {
  const { key } = await createTenant();
  const accepted = await sendMessage(key, { to: number("5555"), body: "hi" });
  const message = await waitForStatus(key, accepted.id, "delivered");
  return { key, message };
}

describe("POST /webhooks/simulator/status", () => {
  it("ignores a duplicate delivered receipt and adds no event", async () => {
    const { key, message } = await deliveredMessage();
    await receiptResult(await postReceipt(receiptFor(message.carrier_message_id, "delivered")), "ignored");
    expect((await getMessage(key, message.id)).events).toEqual(message.events);
  });

  it("never moves a message back for an out-of-order receipt", async () => {
    const { key, message } = await deliveredMessage();
    for (const status of ["sent", "undelivered"]) {
      await receiptResult(await postReceipt(receiptFor(message.carrier_message_id, status)), "ignored");
    }
    const after = await getMessage(key, message.id);
    expect(after.status).toBe("delivered");
    expect(after.events).toEqual(message.events);
  });

  it("holds a receipt for a carrier id no submit has recorded yet", async () => {
    await receiptResult(await postReceipt(receiptFor("sim_unknown", "delivered")), "held");
  });

  it.each([
    ["unsigned", async (r: object) => call(PATH, { method: "POST", json: r })],
    ["signed with another secret", (r: object) => postReceipt(r, { secret: "whsec_b3RoZXItc2VjcmV0" })],
    ["tampered with after signing", (r: object) => postReceipt(r, { tamper: true })],
    ["stale (6 minutes old)", (r: object) => postReceipt(r, { timestamp: Math.floor(Date.now() / 1000) - 360 })],
  ])("rejects a receipt that is %s with 401 and changes nothing", async (_, post) => {
    // A message the carrier accepted, whose real receipt has not come yet.
    const carrierId = `sim_${crypto.randomUUID()}`;
    const { key, id } = await sentVia("simulator", [carrierId]);
    const row = { id };

    await expectProblem(await post(receiptFor(carrierId, "delivered")), 401, "invalid_signature");
    expect((await getMessage(key, row.id)).status).toBe("sent");
    // The same receipt, properly signed, does apply.
    await receiptResult(await postReceipt(receiptFor(carrierId, "delivered")), "applied");
    expect((await getMessage(key, row.id)).status).toBe("delivered");
  });

  it("takes a signed push of many receipts, applied in order", async () => {
    const first = await sentVia("simulator", [`sim_${crypto.randomUUID()}`]);
    const second = await sentVia("simulator", [`sim_${crypto.randomUUID()}`]);
    const carrierIds = await Promise.all([first, second].map(async ({ key, id }) => (await getMessage(key, id)).carrier_message_id));
    const push = [receiptFor(carrierIds[0], "delivered"), receiptFor(carrierIds[1], "undelivered"), receiptFor(carrierIds[1], "delivered")];
    const ack = await okJson(await postSigned(PATH, push), 200);
    expect(ack.queued).toBe(3);
    await waitForStatus(first.key, first.id, "delivered");
    // The second's undelivered came first: its later "delivered" changes nothing.
    await waitForStatus(second.key, second.id, "undelivered");
  });

  it("answers 422 at the item for a push with a receipt it cannot read, and queues none of it", async () => {
    const problem = await expectProblem(await postSigned(PATH, [receiptFor("sim_a", "delivered"), { message_id: "sim_b", status: "lost" }]), 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.1.status", "body.1.occurred_at"]);
  });

  it("answers 503 when the receipts queue does not take the receipt, so the carrier sends it again", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const queueDown = { send: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    const body = JSON.stringify(receiptFor("sim_queue_down", "delivered"));
    const headers = await signWebhook(env.SIMULATOR_WEBHOOK_SECRET, "evt_down", Math.floor(Date.now() / 1000), body);
    const response = await app.fetch(
      new Request(`http://gateway.test${PATH}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }),
      { ...env, RECEIPT_QUEUE: queueDown },
      createExecutionContext(),
    );
    const problem = await expectProblem(response, 503, "dependency_unavailable");
    expect(response.headers.get("retry-after")).toBe("5");
    expect(problem.detail).toMatch(/send it again/);
  });

  it("answers 422 for a correctly signed receipt it cannot read", async () => {
    const problem = await expectProblem(await postReceipt({ message_id: "sim_x", status: "lost" }), 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.status", "body.occurred_at"]);
  });
});
