import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, okJson } from "../helpers/api";

const endpoint = (i: number) => ({ url: `https://hooks.example.com/h${i}`, events: ["message.status"] });
const rule = (i: number) => ({ name: `r${i}`, kind: "failed_count_above", threshold: i + 1, window_hours: 1 });

describe("limits on what a tenant controls", () => {
  it("at most 20 webhook endpoints, however many are asked for at once; deleting one makes room", async () => {
    const { key } = await createTenant();
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => call("/v1/webhooks", { method: "POST", key, json: endpoint(i) })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(20);
    const refused = answers.filter((r) => r.status !== 201);
    for (const response of refused) expect(await expectProblem(response, 422, "limit_exceeded")).toMatchObject({ max: 20 });
    const listed = (await okJson(await call("/v1/webhooks", { key }), 200)).data;
    expect(listed).toHaveLength(20);
    await expectProblem(await call("/v1/webhooks", { method: "POST", key, json: endpoint(99) }), 422, "limit_exceeded");
    expect((await call(`/v1/webhooks/${listed[0].id}`, { method: "DELETE", key })).status).toBe(204);
    await okJson(await call("/v1/webhooks", { method: "POST", key, json: endpoint(100) }), 201);
  });

  it("at most 100 alert rules, however many are asked for at once", async () => {
    const { key } = await createTenant();
    const answers = await Promise.all(Array.from({ length: 110 }, (_, i) => call("/v1/alerts", { method: "POST", key, json: rule(i) })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(100);
    for (const response of answers.filter((r) => r.status !== 201)) expect(await expectProblem(response, 422, "limit_exceeded")).toMatchObject({ max: 100 });
    expect((await okJson(await call("/v1/alerts", { key }), 200)).data).toHaveLength(100);
  });
});
