import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";

const put = (country: string, json: unknown, headers: Record<string, string> = ADMIN) => call(`/v1/admin/routes/${country}`, { method: "PUT", headers, json });

describe("operator routes", () => {
  it("stores a route per country and a default, lists them, and removes one", async () => {
    const us = await okJson(await put("US", { carriers: [{ carrier: "twilio", weight: 3 }, { carrier: "vonage", weight: 1 }] }), 200);
    expect(us).toMatchObject({ country: "US", carriers: [{ carrier: "twilio", weight: 3 }, { carrier: "vonage", weight: 1 }] });
    await okJson(await put("default", { carriers: [{ carrier: "vonage" }] }), 200);
    const again = await okJson(await put("US", { carriers: [{ carrier: "vonage" }, { carrier: "twilio" }] }), 200);
    expect(again.carriers).toEqual([{ carrier: "vonage" }, { carrier: "twilio" }]);

    const list = await okJson(await call("/v1/admin/routes", { headers: ADMIN }), 200);
    expect(list.data.map((r: { country: string }) => r.country)).toEqual(["US", "default"]);
    expect((await call("/v1/admin/routes/US", { method: "DELETE", headers: ADMIN })).status).toBe(204);
    await expectProblem(await call("/v1/admin/routes/US", { method: "DELETE", headers: ADMIN }), 404, "not_found");
  });

  it("refuses unknown or repeated carriers, an empty list and a bad country with 422, changing nothing", async () => {
    await okJson(await put("GB", { carriers: [{ carrier: "twilio" }] }), 200);
    let problem = await expectProblem(await put("GB", { carriers: [{ carrier: "twilio" }, { carrier: "twilio" }] }), 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "body.carriers.1.carrier", message: "a carrier appears once in a route" }]);
    problem = await expectProblem(await put("GB", { carriers: [{ carrier: "smpp" }] }), 422, "validation_failed");
    expect(problem.errors?.[0]?.path).toBe("body.carriers.0.carrier");
    await expectProblem(await put("GB", { carriers: [] }), 422, "validation_failed");
    await expectProblem(await put("GB", { carriers: [{ carrier: "twilio", weight: 0 }] }), 422, "validation_failed");
    await expectProblem(await put("gb", { carriers: [{ carrier: "twilio" }] }), 422, "validation_failed");
    const list = await okJson(await call("/v1/admin/routes", { headers: ADMIN }), 200);
    expect(list.data.find((r: { country: string }) => r.country === "GB").carriers).toEqual([{ carrier: "twilio" }]);
  });

  it("is the operator's alone", async () => {
    const { key } = await createTenant();
    await expectProblem(await put("US", { carriers: [{ carrier: "twilio" }] }, { authorization: `Bearer ${key}` }), 401, "unauthorized");
    await expectProblem(await call("/v1/admin/carriers", { key }), 401, "unauthorized");
  });

  it("lists every routable carrier with a closed circuit until one fails", async () => {
    const carriers = await okJson(await call("/v1/admin/carriers", { headers: ADMIN }), 200);
    expect(carriers.data).toEqual(
      ["simulator", "twilio", "vonage"].map((carrier) => ({ carrier, circuit: "closed", consecutive_failures: 0, open_until: null, updated_at: null })),
    );
  });
});
