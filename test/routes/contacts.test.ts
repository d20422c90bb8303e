import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, okJson } from "../helpers/api";
import { number } from "../helpers/seed";

const csvImport = (key: string, body: string, query = "") =>
  call(`/v1/contacts/import${query}`, { method: "POST", key, headers: { "content-type": "text/csv" }, body });

async function allContacts(key: string, query = "") {
  return (await okJson(await call(`/v1/contacts?limit=100${query}`, { key }), 200)).data;
}

describe("contact import", () => {
  it("reads CSV with a BOM, CRLF, quoted fields and blank lines; merges duplicates; reports invalid rows by line", async () => {
    const { key } = await createTenant("live");
    const csv = [
      "\uFEFFPhone,First Name,City",
      '+447400123456,Ann,"London, UK"',
      "",
      '"+44 7400 123457","Bob ""Bobby""",Leeds',
      "07400 123456,Annie,",
      "12345,Nobody,Nowhere",
      ",Blank,Row",
      "",
    ].join("\r\n");
    const report = await okJson(await csvImport(key, csv, "?country=GB"), 200);
    expect(report).toMatchObject({ imported: 2, updated: 0, invalid: 2 });
    expect(report.errors.map((e: { row: number; input: string }) => [e.row, e.input])).toEqual([
      [6, "12345"],
      [7, ""],
    ]);
    const contacts = await allContacts(key);
    expect(contacts.map((c: any) => [c.phone, c.attributes]).sort()).toEqual([
      ["+447400123456", { first_name: "Annie", city: "London, UK" }],
      ["+447400123457", { first_name: 'Bob "Bobby"', city: "Leeds" }],
    ]);

    // A second import updates, merging attributes into what is there.
    const again = await okJson(await csvImport(key, "phone,tier\n+447400123456,gold\n"), 200);
    expect(again).toMatchObject({ imported: 0, updated: 1, invalid: 0 });
    const ann = (await allContacts(key, "&phone_prefix=%2B447400123456"))[0];
    expect(ann.attributes).toEqual({ first_name: "Annie", city: "London, UK", tier: "gold" });
  });

  it("takes JSON too, and adds every imported contact to a group", async () => {
    const { key } = await createTenant("live");
    const group = await okJson(await call("/v1/groups", { method: "POST", key, json: { name: "VIP" } }), 201);
    const report = await okJson(
      await call(`/v1/contacts/import?group_id=${group.id}`, { method: "POST", key, json: [{ phone: number(), name: "A" }, { phone: number() }, { phone: "x" }] }),
      200,
    );
    expect(report).toMatchObject({ imported: 2, invalid: 1, errors: [{ row: 3 }] });
    expect(await okJson(await call(`/v1/groups/${group.id}`, { key }), 200)).toMatchObject({ member_count: 2 });
    expect(await allContacts(key, `&group_id=${group.id}`)).toHaveLength(2);
    await expectProblem(await call("/v1/contacts/import?group_id=grp_missing", { method: "POST", key, json: [] }), 404, "not_found");
  });

  it("imports 100,000 rows in one request", { timeout: 120_000 }, async () => {
    const { key } = await createTenant("live");
    const lines = ["phone,code"];
    for (let i = 0; i < 100_000; i++) lines.push(`+1415${2_000_000 + i},c${i}`);
    const report = await okJson(await csvImport(key, lines.join("\n")), 200);
    expect(report).toEqual({ imported: 100_000, updated: 0, invalid: 0, errors: [], errors_not_shown: 0 });
    const page = await okJson(await call("/v1/contacts?limit=1", { key }), 200);
    expect(page.data[0]).toMatchObject({ phone: "+14152099999", attributes: { code: "c99999" } });

    const over = await okJson(await csvImport(key, `${lines.join("\n")}\n+14153000000,x`), 200);
    expect(over).toMatchObject({ imported: 0, updated: 100_000, invalid: 1, errors: [{ row: 100_002 }] });
  });

  it("lists the first 100 invalid rows and counts the rest", async () => {
    const { key } = await createTenant("live");
    const report = await okJson(await csvImport(key, `phone\n${"bad\n".repeat(150)}`), 200);
    expect(report).toMatchObject({ imported: 0, invalid: 150, errors_not_shown: 50 });
    expect(report.errors).toHaveLength(100);
    expect(report.errors[0]).toMatchObject({ row: 2, input: "bad" });
  });

  it("refuses a body over 10 MiB, importing nothing", async () => {
    const { key } = await createTenant("live");
    await expectProblem(await csvImport(key, `phone\n${"+447400123456\n".repeat(800_000)}`), 413, "payload_too_large");
    expect(await allContacts(key)).toEqual([]);
  });
});

describe("contacts", () => {
  it("reads, changes and deletes a contact; deleting it leaves its groups", async () => {
    const { key } = await createTenant("live");
    await okJson(await csvImport(key, `phone,name\n${number()},Ann\n`), 200);
    const [contact] = await allContacts(key);
    const group = await okJson(await call("/v1/groups", { method: "POST", key, json: { name: "G" } }), 201);
    await okJson(await call(`/v1/groups/${group.id}/members`, { method: "POST", key, json: { contact_ids: [contact.id] } }), 200);

    const patched = await okJson(await call(`/v1/contacts/${contact.id}`, { method: "PATCH", key, json: { attributes: { name: null, plan: "pro" } } }), 200);
    expect(patched.attributes).toEqual({ plan: "pro" });
    await expectProblem(await call(`/v1/contacts/${contact.id}`, { method: "PATCH", key, json: { attributes: { "Bad Key": "x" } } }), 422, "validation_failed");

    expect((await call(`/v1/contacts/${contact.id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/contacts/${contact.id}`, { key }), 404, "not_found");
    expect(await okJson(await call(`/v1/groups/${group.id}`, { key }), 200)).toMatchObject({ member_count: 0 });
  });
});

describe("groups", () => {
  it("creates, renames, lists with counts, adds and removes members, and deletes a group but not its contacts", async () => {
    const { key } = await createTenant("live");
    const group = await okJson(await call("/v1/groups", { method: "POST", key, json: { name: "Newsletter" } }), 201);
    expect(group).toMatchObject({ name: "Newsletter", member_count: 0 });
    const a = number();
    const added = await okJson(
      await call(`/v1/groups/${group.id}/members`, { method: "POST", key, json: { phones: [a, number(), "nope"], contact_ids: ["con_missing"] } }),
      200,
    );
    expect(added.group.member_count).toBe(2);
    expect(added.errors.map((e: { input: string }) => e.input).sort()).toEqual(["con_missing", "nope"]);

    expect(await okJson(await call(`/v1/groups/${group.id}`, { method: "PATCH", key, json: { name: "Weekly" } }), 200)).toMatchObject({ name: "Weekly" });
    expect((await okJson(await call("/v1/groups", { key }), 200)).data).toMatchObject([{ id: group.id, name: "Weekly", member_count: 2 }]);

    const [member] = await allContacts(key, `&phone_prefix=${encodeURIComponent(a)}`);
    expect((await call(`/v1/groups/${group.id}/members/${member.id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/groups/${group.id}/members/${member.id}`, { method: "DELETE", key }), 404, "not_found");

    expect((await call(`/v1/groups/${group.id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/groups/${group.id}`, { key }), 404, "not_found");
    expect(await allContacts(key)).toHaveLength(2);
  });

  it("keeps every tenant's contacts and groups to itself", async () => {
    const owner = await createTenant("live");
    const other = await createTenant("live");
    await okJson(await csvImport(owner.key, `phone\n${number()}\n`), 200);
    const [contact] = await allContacts(owner.key);
    const group = await okJson(await call("/v1/groups", { method: "POST", key: owner.key, json: { name: "Mine" } }), 201);
    for (const [method, path] of [
      ["GET", `/v1/contacts/${contact.id}`],
      ["DELETE", `/v1/contacts/${contact.id}`],
      ["GET", `/v1/groups/${group.id}`],
      ["DELETE", `/v1/groups/${group.id}`],
      ["GET", `/v1/contacts?group_id=${group.id}`],
    ] as const) {
      await expectProblem(await call(path, { method, key: other.key }), 404, "not_found");
    }
    const theirs = await okJson(await call("/v1/groups", { method: "POST", key: other.key, json: { name: "Theirs" } }), 201);
    const added = await okJson(await call(`/v1/groups/${theirs.id}/members`, { method: "POST", key: other.key, json: { contact_ids: [contact.id] } }), 200);
    expect(added).toMatchObject({ group: { member_count: 0 }, errors: [{ input: contact.id }] });
    expect(await allContacts(other.key)).toEqual([]);
  });
});

describe("a contact's attributes are bounded however they are merged", () => {
  const attrs = (from: number, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`a${from + i}`, "x".repeat(500)]));

  it("PATCH: a merge past 50 attributes is a 422 and changes nothing; removing some makes room", async () => {
    const { key } = await createTenant("live");
    const phone = number();
    await okJson(await call("/v1/contacts/import", { method: "POST", key, json: [{ phone, ...attrs(0, 30) }] }), 200);
    const [contact] = await allContacts(key);
    await okJson(await call(`/v1/contacts/${contact.id}`, { method: "PATCH", key, json: { attributes: attrs(30, 20) } }), 200);
    const refused = await expectProblem(await call(`/v1/contacts/${contact.id}`, { method: "PATCH", key, json: { attributes: attrs(50, 1) } }), 422, "validation_failed");
    expect(refused.errors).toEqual([{ path: "body.attributes", message: expect.stringContaining("at most 50") }]);
    expect(Object.keys((await okJson(await call(`/v1/contacts/${contact.id}`, { key }), 200)).attributes)).toHaveLength(50);
    const swapped = await okJson(await call(`/v1/contacts/${contact.id}`, { method: "PATCH", key, json: { attributes: { a0: null, a50: "y" } } }), 200);
    expect(Object.keys(swapped.attributes)).toHaveLength(50);
    expect(swapped.attributes.a50).toBe("y");
  });

  it("import: rows that would take a contact past 50 attributes are reported and the contact kept as it was", async () => {
    const { key } = await createTenant("live");
    const [full, other] = [number(), number()];
    await okJson(await call("/v1/contacts/import", { method: "POST", key, json: [{ phone: full, ...attrs(0, 50) }] }), 200);
    // Against the stored contact, and within one import (two rows of one phone merge).
    const report = await okJson(
      await call("/v1/contacts/import", { method: "POST", key, json: [{ phone: full, extra: "1" }, { phone: other, ...attrs(0, 40) }, { phone: other, ...attrs(40, 20) }] }),
      200,
    );
    expect(report).toMatchObject({ imported: 1, updated: 0, invalid: 2 });
    expect(report.errors.map((e: { row: number; message: string }) => e.row)).toEqual([3, 1]);
    const contacts = await allContacts(key);
    const stored = contacts.find((c: { phone: string }) => c.phone === full);
    expect(Object.keys(stored.attributes)).toHaveLength(50);
    expect(stored.attributes.extra).toBeUndefined();
    expect(Object.keys(contacts.find((c: { phone: string }) => c.phone === other).attributes)).toHaveLength(40);
  });
});
