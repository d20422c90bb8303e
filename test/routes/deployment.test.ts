import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { liveSendingProblems } from "../../src/domain/deployment";
import { createTenant, expectProblem, okJson } from "../helpers/api";
import { fundedLiveTenant } from "../helpers/meter";
import { number } from "../helpers/seed";

/** A production deployment's settings: a real carrier and a public https base, unless a test breaks one. */
const PRODUCTION = { ENVIRONMENT: "production", LIVE_CARRIER: "twilio", PUBLIC_BASE_URL: "https://sms.example.com" };

/** A request to the app as deployed with `settings` (wrangler.toml's vars for the production environment). */
function asDeployed(settings: Record<string, string>, path: string, init: RequestInit & { key?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("authorization", `Bearer ${init.key}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`http://gateway.test${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
  return app.fetch(request, { ...env, ...settings }, createExecutionContext());
}

const MISCONFIGURED = [
  ["the live carrier is the simulator", { ...PRODUCTION, LIVE_CARRIER: "simulator" }, /LIVE_CARRIER is the simulator/],
  ["PUBLIC_BASE_URL is not set", { ...PRODUCTION, PUBLIC_BASE_URL: "" }, /PUBLIC_BASE_URL is not set/],
  ["PUBLIC_BASE_URL is http", { ...PRODUCTION, PUBLIC_BASE_URL: "http://sms.example.com" }, /PUBLIC_BASE_URL must/],
  ["PUBLIC_BASE_URL is the laptop", { ...PRODUCTION, PUBLIC_BASE_URL: "http://127.0.0.1:8787" }, /PUBLIC_BASE_URL must/],
  ["PUBLIC_BASE_URL is a private address", { ...PRODUCTION, PUBLIC_BASE_URL: "https://10.0.0.5" }, /PUBLIC_BASE_URL/],
  ["the live carrier has no credentials", { ...PRODUCTION, TWILIO_AUTH_TOKEN: "" }, /twilio has no usable credentials \(TWILIO_AUTH_TOKEN not set\)/],
  ["the live carrier is one the gateway cannot submit to", { ...PRODUCTION, LIVE_CARRIER: "smpp" }, /smpp is not a carrier this gateway can submit to/],
] as const;

describe("a production deployment that cannot carry live traffic", () => {
  it.each(MISCONFIGURED)("refuses live sends and batches, and says why in /health, when %s", async (_, settings, why) => {
    const { key } = await fundedLiveTenant(1_000_000);
    const send = await asDeployed(settings, "/v1/messages", { method: "POST", key, json: { to: number(), body: "live" } });
    const problem = await expectProblem(send, 503, "live_sending_unconfigured");
    expect(problem.detail).toMatch(why);
    expect((problem as { problems?: string[] }).problems?.some((p) => why.test(p))).toBe(true);
    const batch = await asDeployed(settings, "/v1/batches", { method: "POST", key, json: { type: "notification", body: "live", recipients: [{ to: number() }] } });
    await expectProblem(batch, 503, "live_sending_unconfigured");
    // The dry run answers what would happen: refused, for this reason.
    const preview = await okJson(await asDeployed(settings, "/v1/messages/dry-run", { method: "POST", key, json: { to: number(), body: "live" } }), 200);
    expect(preview).toMatchObject({ would_send: false, refusal: { code: "live_sending_unconfigured", status: 503 } });
    // Nothing was stored or charged.
    expect((await okJson(await asDeployed(settings, "/v1/messages", { key }), 200)).data).toEqual([]);
    expect((await okJson(await asDeployed(settings, "/v1/account", { key }), 200)).balance).toBe(1_000_000);
    const health = await expectProblem(await asDeployed(settings, "/health"), 503, "live_sending_unconfigured");
    expect(health).toMatchObject({ checks: { database: { status: "ok" }, configuration: { status: "failed" } } });
  });

  it("still takes test-key sends, which always go to the simulator", async () => {
    const { key } = await createTenant("test");
    const settings = { ...PRODUCTION, LIVE_CARRIER: "simulator" };
    const accepted = await okJson(await asDeployed(settings, "/v1/messages", { method: "POST", key, json: { to: number(), body: "test" } }), 202);
    expect(accepted.status).toBe("queued");
  });

  it("takes live sends once it is configured, and /health is ok", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const accepted = await okJson(await asDeployed(PRODUCTION, "/v1/messages", { method: "POST", key, json: { to: number(), body: "live" } }), 202);
    expect(accepted.status).toBe("queued");
    expect((await okJson(await asDeployed(PRODUCTION, "/health"), 200)).status).toBe("ok");
  });
});

describe("liveSendingProblems", () => {
  it("has nothing to say outside production", () => {
    expect(liveSendingProblems({ ENVIRONMENT: "development", LIVE_CARRIER: "simulator", PUBLIC_BASE_URL: "http://127.0.0.1:8787" })).toEqual([]);
    expect(liveSendingProblems({ ENVIRONMENT: "test" })).toEqual([]);
  });

  it("names every setting that is wrong at once", () => {
    expect(liveSendingProblems({ ENVIRONMENT: "production" })).toHaveLength(2);
    expect(liveSendingProblems({ ...PRODUCTION, TWILIO_ACCOUNT_SID: "AC1", TWILIO_AUTH_TOKEN: "token" })).toEqual([]);
    expect(liveSendingProblems({ ...PRODUCTION, PUBLIC_BASE_URL: "" })).toEqual([
      "LIVE_CARRIER: twilio has no usable credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN not set): every send to it fails no_route",
      "PUBLIC_BASE_URL is not set: carriers could not post delivery receipts to it",
    ]);
  });
});
