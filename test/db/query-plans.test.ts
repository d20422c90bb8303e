// No shard-wide or history-wide scan a tenant can trigger: every listing filter a key can ask for, and every
// statement of an erasure pass, is served by an index that starts with what the tenant controls the least of
// (its id and key mode, or the number itself). Asserted on SQLite's own plan, so a changed query or a dropped
// index fails here.
import { describe, expect, it } from "vitest";
import { compiled } from "../../src/db/statements";
import { erasePassStatements } from "../../src/services/erasure";
import { listMessagesQuery } from "../../src/services/messages";
import { createTenant } from "../helpers/api";
import { dbOf } from "../helpers/seed";

type Query = Parameters<typeof compiled>[0];

async function plan(d1: D1Database, query: Query): Promise<string[]> {
  const { sql, params } = compiled(query);
  const { results } = await d1.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return results.map((row) => row.detail);
}

/** A full scan of a tenant-data table: a step that reads it without an index or primary-key probe. */
const TENANT_TABLES = ["messages", "batches", "batch_items", "batch_rejects", "inbound_messages", "events", "contacts", "carrier_receipts"];
const scans = (steps: string[]) => steps.filter((step) => TENANT_TABLES.some((table) => new RegExp(`^SCAN ${table}\\b(?!.*USING (COVERING )?INDEX)`).test(step)));

describe("query plans", () => {
  it("serve every message listing a key can ask for from an index led by the tenant and its mode", async () => {
    const { tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const owner = { tenantId, mode: "test" as const };
    const filters = {
      none: {},
      status: { status: "delivered" as const },
      from: { from: "Acme" },
      to: { to: "+14155550100" },
      created: { createdFrom: Date.now() - 86_400_000, createdBefore: Date.now() },
    };
    for (const [name, filter] of Object.entries(filters)) {
      const steps = await plan(db.$client, listMessagesQuery(db, owner, { limit: 1000, ...filter }));
      expect(scans(steps), `${name}: ${steps.join(" | ")}`).toEqual([]);
      const expected = name === "to" ? /messages_tenant_mode_to_idx/ : name === "status" ? /messages_tenant_mode_status_idx/ : name === "from" ? /messages_tenant_mode_from_idx/ : /messages_tenant_mode_idx/;
      expect(steps.join(" | "), name).toMatch(expected);
      // Every key prefix that leads the index is bound: tenant and mode are equalities, not a walk.
      expect(steps.join(" | "), name).toMatch(/tenant_id=\? AND mode=\?/);
    }
  });

  it("find a number's records for erasure by index, never by walking the tenant's batch items or rejects", async () => {
    const { tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const plans = [];
    for (const statement of erasePassStatements(tenantId, ["test", "live"], "+14155550100")) {
      const steps = await plan(db.$client, statement);
      expect(scans(steps), steps.join(" | ")).toEqual([]);
      plans.push(steps.join(" | "));
    }
    // A number's places in batch lists are looked up by the number, not by each of the tenant's batches in turn.
    expect(plans.find((p) => p.includes("batch_items"))).toMatch(/SEARCH batch_items USING (COVERING )?INDEX batch_items_to_idx \(to=\?/);
    expect(plans.find((p) => p.includes("batch_rejects"))).toMatch(/SEARCH batch_rejects USING (COVERING )?INDEX batch_rejects_to_idx \(to=\?/);
    expect(plans.find((p) => p.startsWith("SEARCH messages") || p.includes("UPDATE messages") || p.includes("messages_tenant_mode_to_idx"))).toMatch(/messages_tenant_mode_to_idx/);
  });
});
