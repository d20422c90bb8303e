import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { expectProblem } from "../helpers/api";

/** A request to the app as deployed with some settings changed (unset, or set to something unusable). */
async function withSettings(settings: Partial<Record<keyof Env, unknown>>, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://gateway.test${path}`, init), { ...env, ...settings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const signedHeaders = {
  "content-type": "application/json",
  "webhook-id": "msg_1",
  "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
  "webhook-signature": "v1,c2lnbmF0dXJl",
};
const form = { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "abc" };

describe("carrier routes whose secret is unset or unusable", () => {
  const cases: [string, keyof Env, unknown, string, RequestInit][] = [
    ["simulator status, secret unset", "SIMULATOR_WEBHOOK_SECRET", undefined, "/webhooks/simulator/status", { method: "POST", headers: signedHeaders, body: "{}" }],
    ["simulator status, secret not base64", "SIMULATOR_WEBHOOK_SECRET", "whsec_not base64!", "/webhooks/simulator/status", { method: "POST", headers: signedHeaders, body: "{}" }],
    ["simulator inbound, secret empty", "SIMULATOR_WEBHOOK_SECRET", "", "/webhooks/simulator/inbound", { method: "POST", headers: signedHeaders, body: "{}" }],
    ["SMPP bridge, secret not base64", "SMPP_BRIDGE_SECRET", "%%%", "/webhooks/smpp/status", { method: "POST", headers: signedHeaders, body: "{}" }],
    ["Twilio status, token unset", "TWILIO_AUTH_TOKEN", undefined, "/webhooks/twilio/status", { method: "POST", headers: form, body: "MessageSid=SM1" }],
    ["Vonage receipt, secret unset", "VONAGE_SIGNATURE_SECRET", undefined, "/webhooks/vonage/status", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    ["Alibaba receipts, token unset", "ALIBABA_RECEIPT_TOKEN", "", "/webhooks/alibaba/status?token=guess", { method: "POST", headers: { "content-type": "application/json" }, body: "[]" }],
  ];
  for (const [name, setting, value, path, init] of cases) {
    it(`${name}: 503, never a crash, and the caller learns nothing of the secret`, async () => {
      const response = await withSettings({ [setting]: value }, path, init);
      const problem = await expectProblem(response, 503, "dependency_unavailable");
      expect(response.headers.get("retry-after")).toBe("60");
      expect(problem.detail).not.toContain(setting);
    });
  }

  it("with the secret set, the same unsigned request is a 401", async () => {
    const response = await withSettings({}, "/webhooks/simulator/status", { method: "POST", headers: signedHeaders, body: "{}" });
    await expectProblem(response, 401, "invalid_signature");
  });
});
