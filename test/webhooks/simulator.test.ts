import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, getMessage, okJson, sendMessage } from "../helpers/api";
import { sentVia } from "../helpers/carriers";
import { postReceipt, receiptFor, receiptResult, SIMULATOR_STATUS_PATH } from "../helpers/receipts";
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

  it("answers 422 for a correctly signed receipt it cannot read", async () => {
    const problem = await expectProblem(await postReceipt({ message_id: "sim_x", status: "lost" }), 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.status", "body.occurred_at"]);
  });
});
