import { describe, expect, it } from "vitest";
import { clientReference, CONTROL, isShard, placementShards, reachableShard, readReference, shardNames } from "../../src/db/shards";

const d1 = { prepare: () => null } as unknown as D1Database;
const envWith = (shards: string, bindings: Record<string, unknown> = { SHARD_1: d1, SHARD_2: d1 }, placement?: string) =>
  ({ SHARDS: shards, PLACEMENT_SHARDS: placement, DB: d1, ...bindings }) as unknown as Env;

describe("client references", () => {
  it("carry the message id and its shard there and back", () => {
    const reference = clientReference("SHARD_2", "msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E");
    expect(reference).toBe("msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E.SHARD_2");
    expect(reference.length).toBeLessThanOrEqual(40); // Vonage's client-ref
    expect(readReference(reference)).toEqual({ messageId: "msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E", shard: "SHARD_2" });
  });

  it("read a reference from before sharding, or one with no shard name, as a bare message id", () => {
    expect(readReference("msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E")).toEqual({ messageId: "msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E", shard: null });
    expect(readReference("order.2026.lower")).toEqual({ messageId: "order.2026.lower", shard: null });
    expect(readReference("msg_1.SHARD_NAME_TOO_LONG")).toEqual({ messageId: "msg_1.SHARD_NAME_TOO_LONG", shard: null });
  });
});

describe("shard names", () => {
  it("separate where new tenants go (PLACEMENT_SHARDS) from what is reached (SHARDS), and refuse an unknown one loudly", () => {
    expect(placementShards(envWith("SHARD_1,SHARD_2"))).toEqual(["SHARD_1", "SHARD_2"]);
    // A full shard out of placement is still reached by everything else.
    const closed = envWith("SHARD_1,SHARD_2", undefined, "SHARD_2");
    expect(placementShards(closed)).toEqual(["SHARD_2"]);
    expect(isShard(closed, "SHARD_1")).toBe(true);
    expect(reachableShard(closed, "SHARD_1")).toBe("SHARD_1");
    expect(() => placementShards(envWith("SHARD_1", undefined, "SHARD_1,SHARD_2"))).toThrow(/SHARD_2.*not in SHARDS/);
    expect(() => reachableShard(envWith("SHARD_2"), "SHARD_1")).toThrow(/SHARD_1 is not in SHARDS/);
  });

  it("come from SHARDS, in order, and must be D1 bindings of the Worker", () => {
    expect(shardNames(envWith("SHARD_1,SHARD_2"))).toEqual(["SHARD_1", "SHARD_2"]);
    expect(shardNames(envWith(" SHARD_2 , SHARD_1 "))).toEqual(["SHARD_2", "SHARD_1"]);
    expect(() => shardNames(envWith("SHARD_1,SHARD_3"))).toThrow(/SHARD_3/);
    expect(() => shardNames(envWith("SHARD_1", { SHARD_1: "not a database" }))).toThrow(/SHARD_1/);
  });

  it("fall back to the control database when none is listed, which is always a shard (tenants from before sharding)", () => {
    expect(shardNames(envWith(""))).toEqual([CONTROL]);
    expect(isShard(envWith("SHARD_1"), CONTROL)).toBe(true);
    expect(isShard(envWith("SHARD_1"), "SHARD_2")).toBe(false);
  });
});
