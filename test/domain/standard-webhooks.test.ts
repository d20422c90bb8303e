import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../../src/lib/standard-webhooks";

// The published Standard Webhooks test vector: a receiver's stock library must accept what we sign.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const headers = (values: Record<string, string>) => new Headers(values);

describe("Standard Webhooks signatures", () => {
  it("reproduces the specification's test vector", async () => {
    const signed = await signWebhook(SECRET, ID, TIMESTAMP, BODY);
    expect(signed["webhook-signature"]).toBe(SIGNATURE);
  });

  it("accepts the vector, also among several signatures", async () => {
    const h = headers({ "webhook-id": ID, "webhook-timestamp": String(TIMESTAMP), "webhook-signature": `v1,bm9wZQ== ${SIGNATURE}` });
    expect(await verifyWebhook(SECRET, h, BODY, TIMESTAMP + 10)).toEqual({ ok: true });
  });

  it("rejects a changed body, a wrong secret, missing headers and stale or future timestamps", async () => {
    const good = { "webhook-id": ID, "webhook-timestamp": String(TIMESTAMP), "webhook-signature": SIGNATURE };
    expect((await verifyWebhook(SECRET, headers(good), '{"test": 1}', TIMESTAMP)).ok).toBe(false);
    expect((await verifyWebhook("whsec_c2VjcmV0", headers(good), BODY, TIMESTAMP)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers({ ...good, "webhook-signature": "" }), BODY, TIMESTAMP)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers({ ...good, "webhook-signature": "v2,abc" }), BODY, TIMESTAMP)).ok).toBe(false);
    expect(await verifyWebhook(SECRET, headers(good), BODY, TIMESTAMP + 301)).toMatchObject({ ok: false, reason: expect.stringMatching(/tolerance/) });
    expect((await verifyWebhook(SECRET, headers(good), BODY, TIMESTAMP - 301)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers({ ...good, "webhook-timestamp": "soon" }), BODY, TIMESTAMP)).ok).toBe(false);
  });
});
