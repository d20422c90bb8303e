// The deploy planner (scripts/deploy.mjs) against a fake `wrangler` first on the PATH (test/deploy/fake-wrangler.mjs),
// in a copy of the project's wrangler.toml: what it runs for a fresh account, one that has everything, one that
// lacks secrets, and offline. Run by `npm test` (node --test).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const dirs = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const DATABASES = ["sms-gateway", "sms-gateway-shard-1", "sms-gateway-shard-2"];
const QUEUES = ["sms-send", "sms-batches", "sms-webhooks", "sms-receipts", "sms-simulator", "sms-send-dlq", "sms-receipts-dlq"];

/** Runs `node scripts/deploy.mjs args` in a copy of the project's wrangler.toml, with the fake wrangler and this account. */
function deploy(account, args = []) {
  const dir = mkdtempSync(join(tmpdir(), "deploy-test-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  spawnSync("mkdir", [bin]);
  const fake = join(root, "test", "deploy", "fake-wrangler.mjs");
  chmodSync(fake, 0o755);
  symlinkSync(fake, join(bin, "wrangler"));
  copyFileSync(join(root, "wrangler.toml"), join(dir, "wrangler.toml"));
  writeFileSync(join(dir, "account.json"), JSON.stringify(account));
  writeFileSync(join(dir, "calls.log"), "");
  const result = spawnSync(process.execPath, [join(root, "scripts", "deploy.mjs"), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_WRANGLER_LOG: join(dir, "calls.log"), FAKE_WRANGLER_ACCOUNT: join(dir, "account.json") },
  });
  const calls = readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line).join(" "));
  return { status: result.status, out: result.stdout + result.stderr, calls, toml: readFileSync(join(dir, "wrangler.toml"), "utf8") };
}

const reads = ["d1 list --json", "queues list", "secret list --format json --env production"];
const fresh = { databases: [], queues: [], secrets: [], workerExists: false };
const complete = {
  databases: DATABASES.map((name, i) => ({ name, uuid: `1111111${i}-2222-3333-4444-555555555555` })),
  queues: QUEUES,
  secrets: ["ADMIN_TOKEN", "DATA_ENCRYPTION_KEY"],
  workerExists: true,
};
const migrations = ["DB", "SHARD_1", "SHARD_2"].map((binding) => `d1 migrations apply ${binding} --remote --env production`);
const dryDeploy = "deploy --env production --dry-run --outdir .wrangler/deploy-dry-run";

describe("npm run deploy", () => {
  it("on a fresh account, --dry-run plans every database, queue and migration, lists the secrets to set, and runs only the dry deploy", () => {
    const { status, out, calls } = deploy(fresh, ["--dry-run"]);
    assert.equal(status, 0, out);
    for (const name of DATABASES) assert.match(out, new RegExp(`wrangler d1 create ${name}\\b`));
    for (const queue of QUEUES) assert.match(out, new RegExp(`wrangler queues create ${queue}\\b`));
    for (const step of migrations) assert.ok(out.includes(`wrangler ${step}`), step);
    assert.match(out, /required secrets not set: ADMIN_TOKEN, DATA_ENCRYPTION_KEY/);
    // As shipped, production has no PUBLIC_BASE_URL: the plan says live sends will be refused until it does.
    assert.match(out, /PUBLIC_BASE_URL is not set to the https URL carriers reach: the gateway will refuse live sends/);
    assert.deepEqual(calls, [...reads, dryDeploy]);
  });

  it("on a fresh account without its secrets, lists them (never a value) and stops before creating anything", () => {
    const { status, out, calls } = deploy(fresh);
    assert.equal(status, 1);
    assert.match(out, /required secrets not set: ADMIN_TOKEN, DATA_ENCRYPTION_KEY/);
    assert.deepEqual(calls, reads);
  });

  it("on a fresh account with its secrets, creates the databases and queues, writes the ids into wrangler.toml, migrates every database, deploys", () => {
    const { status, out, calls, toml } = deploy({ ...fresh, secrets: ["ADMIN_TOKEN", "DATA_ENCRYPTION_KEY"], workerExists: true });
    assert.equal(status, 0, out);
    assert.deepEqual(calls, [
      ...reads,
      ...DATABASES.map((name) => `d1 create ${name}`),
      ...QUEUES.map((queue) => `queues create ${queue}`),
      ...reads,
      ...migrations,
      "deploy --env production",
    ]);
    // The production environment's ids are written; local development's placeholders stay.
    const [local, production] = toml.split("[env.production]");
    assert.doesNotMatch(production, /database_id = "00000000-0000-0000-0000-00000000000/);
    assert.equal(local.match(/database_id = "00000000-0000-0000-0000-00000000000\d"/g).length, 3);
    assert.match(out, /Wrote the database ids of DB, SHARD_1, SHARD_2 into wrangler.toml/);
  });

  it("on an account that has everything, creates nothing and only migrates and deploys", () => {
    const { status, out, calls, toml } = deploy(complete);
    assert.equal(status, 0, out);
    assert.deepEqual(calls, [...reads, ...reads, ...migrations, "deploy --env production"]);
    assert.ok(toml.includes('database_id = "11111110-2222-3333-4444-555555555555"'));
    assert.ok(!calls.some((call) => call.includes("create")));
  });

  it("offline, --dry-run still plans (as for a fresh account) and runs the dry deploy", () => {
    const { status, out, calls } = deploy({ ...fresh, offline: true }, ["--dry-run"]);
    assert.equal(status, 0, out);
    assert.match(out, /could not be read/);
    assert.equal(calls.at(-1), dryDeploy);
  });
});
