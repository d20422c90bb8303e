import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, okJson } from "../helpers/api";
import { send } from "../helpers/meter";
import { number } from "../helpers/seed";

describe("POST /v1/numbers/lookup", () => {
  it("answers each number in order, valid or not, with its type", async () => {
    const { key } = await createTenant();
    const result = await okJson(
      await call("/v1/numbers/lookup", { method: "POST", key, json: { numbers: ["07400 123456", "020 7183 8750", "+4420", "+8613800138000"], country: "GB" } }),
      200,
    );
    expect(result.data.map((r: any) => [r.input, r.valid, r.e164, r.type, r.sms_capable, r.reason])).toEqual([
      ["07400 123456", true, "+447400123456", "mobile", true, null],
      ["020 7183 8750", true, "+442071838750", "fixed_line", false, null],
      ["+4420", false, null, null, false, "too_short"],
      ["+8613800138000", true, "+8613800138000", "mobile", true, null],
    ]);
  });

  it("takes 1 to 1,000 numbers", async () => {
    const { key } = await createTenant();
    await expectProblem(await call("/v1/numbers/lookup", { method: "POST", key, json: { numbers: [] } }), 422, "validation_failed");
    const tooMany = Array.from({ length: 1001 }, () => "+447400123456");
    await expectProblem(await call("/v1/numbers/lookup", { method: "POST", key, json: { numbers: tooMany } }), 422, "validation_failed");
    const most = await okJson(await call("/v1/numbers/lookup", { method: "POST", key, json: { numbers: tooMany.slice(1) } }), 200);
    expect(most.data).toHaveLength(1000);
  });
});

describe("sending to a number that cannot take SMS", () => {
  it("is refused with 422 number_not_sms_capable; fixed-line-or-mobile numbers pass", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(await send(key, { to: "+442071838750", body: "hi" }), 422, "number_not_sms_capable");
    expect(problem).toMatchObject({ number_type: "fixed_line" });
    expect((await send(key, { to: number(), body: "hi" })).status).toBe(202);
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toHaveLength(1);
  });
});
