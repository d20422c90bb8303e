import { describe, expect, it } from "vitest";
import { webhookUrlProblem } from "../../src/domain/webhook-url";
import { nextAttemptDelay, DELIVERY_SCHEDULE_SECONDS } from "../../src/domain/webhooks";

describe("webhook URLs", () => {
  it("accepts https to a public host", () => {
    expect(webhookUrlProblem("https://hooks.example.com/sms?x=1", false)).toBeNull();
    expect(webhookUrlProblem("https://93.184.216.34/hook", false)).toBeNull();
    expect(webhookUrlProblem("https://[2606:4700:4700::1111]/hook", false)).toBeNull();
    expect(webhookUrlProblem("https://[2a00:1450:4001:80b::200e]/hook", false)).toBeNull();
    // A public address inside a name is fine, and so are names that only look numeric in part.
    expect(webhookUrlProblem("https://93.184.216.34.nip.io/hook", false)).toBeNull();
    expect(webhookUrlProblem("https://v1-2-3.hooks.example.com/", false)).toBeNull();
    expect(webhookUrlProblem("https://192.0.3.1/", false)).toBeNull();
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
    ["https://localhost./", "must not end with a dot"],
    ["https://hooks.example.com./", "must not end with a dot"],
    ["https://db.internal./", "must not end with a dot"],
    ["https://[::ffff:0:0]/", "private"],
    ["https://[::ffff:a00:1]/", "private"],
    ["https://[::7f00:1]/", "private"],
    ["https://[::127.0.0.1]/", "private"],
    ["https://[::]/", "private"],
    ["https://[64:ff9b::7f00:1]/", "private"],
    ["https://[64:ff9b::10.0.0.1]/", "private"],
    ["https://[64:ff9b:1::a00:1]/", "private"],
    ["https://[2002:7f00:1::]/", "private"],
    ["https://[2002:c0a8:101::1]/", "private"],
    ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private"],
    ["https://[fec0::1]/", "private"],
    ["https://[feff::1]/", "private"],
    ["https://[ff02::1]/", "private"],
    ["https://[2001:db8::1]/", "private"],
    // Reserved IPv4: documentation (TEST-NET-1/2/3), the old 6to4 relay anycast, IETF protocol assignments.
    ["https://192.0.2.10/", "private"],
    ["https://198.51.100.7/", "private"],
    ["https://203.0.113.1/", "private"],
    ["https://192.88.99.1/", "private"],
    ["https://192.0.0.8/", "private"],
    // Names that resolve to the address they carry (nip.io, sslip.io and the like), dotted or dashed.
    ["https://127.0.0.1.nip.io/", "private"],
    ["https://169.254.169.254.sslip.io/latest", "private"],
    ["https://hooks.10.0.0.5.nip.io/", "private"],
    ["https://app-192-168-1-1.sslip.io/", "private"],
    ["https://127-0-0-1.sslip.io/", "private"],
    ["https://www.192-168-0-1.nip.io/", "private"],
    ["https://10-1-2-3.example.com/", "private"],
    ["https://app-7f000001.nip.io/", "private"],
    ["https://hooks.localtest.me/", "private"],
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
