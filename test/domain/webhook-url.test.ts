import { describe, expect, it } from "vitest";
import { webhookUrlProblem } from "../../src/domain/webhook-url";
import { nextAttemptDelay, DELIVERY_SCHEDULE_SECONDS } from "../../src/domain/webhooks";

describe("webhook URLs", () => {
  it("accepts https to a public host", () => {
    expect(webhookUrlProblem("https://hooks.example.com/sms?x=1", false)).toBeNull();
    expect(webhookUrlProblem("https://93.184.216.34/hook", false)).toBeNull();
  });

  it.each([
    ["http://hooks.example.com/", "must be https"],
    ["ftp://hooks.example.com/", "must be https"],
    ["not a url", "must be an absolute URL"],
    ["https://user:pw@hooks.example.com/", "must not carry credentials"],
    ["https://localhost/", "private"],
    ["https://api.localhost/", "private"],
    ["https://127.0.0.1/", "private"],
    ["https://2130706433/", "private"],
    ["https://0x7f.1/", "private"],
    ["https://10.1.2.3/", "private"],
    ["https://172.20.0.1/", "private"],
    ["https://192.168.1.1/", "private"],
    ["https://169.254.169.254/latest/meta-data", "private"],
    ["https://100.64.0.1/", "private"],
    ["https://0.0.0.0/", "private"],
    ["https://[::1]/", "private"],
    ["https://[fd00::1]/", "private"],
    ["https://[fe80::1]/", "private"],
    ["https://[::ffff:127.0.0.1]/", "private"],
    ["https://db.internal/", "private"],
    ["https://printer.local/", "private"],
    ["https://intranet/", "public host"],
  ])("refuses %s", (url, problem) => {
    expect(webhookUrlProblem(url, false)).toContain(problem);
  });

  it("allows http://localhost and http://127.0.0.1 only in development", () => {
    for (const url of ["http://localhost:3000/hook", "http://127.0.0.1:9000/hook"]) {
      expect(webhookUrlProblem(url, true)).toBeNull();
      expect(webhookUrlProblem(url, false)).toBe("must be https");
    }
    expect(webhookUrlProblem("http://10.0.0.1/hook", true)).toMatch(/must be https/);
    expect(webhookUrlProblem("https://10.0.0.1/hook", true)).toMatch(/private/);
  });
});

describe("delivery schedule", () => {
  it("tries 8 times over more than 24 hours, then stops", () => {
    expect(DELIVERY_SCHEDULE_SECONDS.reduce<number>((a, b) => a + b, 0)).toBeGreaterThan(24 * 3600);
    expect([1, 2, 3, 7].map(nextAttemptDelay)).toEqual([5, 300, 1800, 36_000]);
    expect(nextAttemptDelay(8)).toBeNull();
  });
});
