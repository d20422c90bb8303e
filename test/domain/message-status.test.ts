import { describe, expect, it } from "vitest";
import { canTransition, isFinal, MESSAGE_STATUSES } from "../../src/domain/message-status";
import { MAX_SEND_ATTEMPTS, retryDelaySeconds } from "../../src/domain/retry";

describe("message lifecycle", () => {
  it("moves forward: queued → sending → sent → delivered | undelivered", () => {
    expect(canTransition("queued", "sending")).toBe(true);
    expect(canTransition("sending", "sent")).toBe(true);
    expect(canTransition("sent", "delivered")).toBe(true);
    expect(canTransition("sent", "undelivered")).toBe(true);
  });

  it("lets a transient carrier error hand a sending message back to queued, and nothing else go back", () => {
    expect(canTransition("sending", "queued")).toBe(true);
    expect(canTransition("sent", "queued")).toBe(false);
    expect(canTransition("sent", "sending")).toBe(false);
    expect(canTransition("delivered", "sent")).toBe(false);
  });

  it("never leaves a final status, except that a late receipt settles an expired message", () => {
    for (const from of MESSAGE_STATUSES.filter(isFinal)) {
      for (const to of MESSAGE_STATUSES) {
        const late = from === "expired" && ["delivered", "undelivered", "failed"].includes(to);
        expect(canTransition(from, to), `${from} → ${to}`).toBe(late);
      }
    }
  });

  it("expires only a sent message", () => {
    expect(MESSAGE_STATUSES.filter((s) => canTransition(s, "expired"))).toEqual(["sent"]);
  });

  it("fails from any unfinished status", () => {
    expect(["queued", "sending", "sent"].every((s) => canTransition(s as never, "failed"))).toBe(true);
  });
});

describe("retry backoff", () => {
  it("doubles from 5 s and gives up within two minutes", () => {
    const delays = Array.from({ length: MAX_SEND_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds(i + 1));
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThan(120);
    expect(retryDelaySeconds(20)).toBe(300);
  });
});
