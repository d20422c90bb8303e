// `npm run deploy`: provisions what is missing on the Cloudflare account and deploys, idempotently, with
// wrangler (the one on the PATH: npm puts the project's first). `npm run deploy -- --dry-run` prints the plan
// and runs `wrangler deploy --dry-run`, which works offline; an account it cannot read is planned as empty.
//   1. D1: the control database and every shard of wrangler.toml; a new one's id is written into wrangler.toml.
//   2. Queues: every producer's, consumer's and dead-letter queue.
//   3. Secrets: the required ones must be set (`wrangler secret put NAME --env production`); missing ones are listed, never a value.
//   4. Migrations on every database (`--remote`), then `wrangler deploy`.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The project being deployed: npm runs scripts from its root; tests run this in a copy.
const root = process.cwd();

/** Secrets the gateway cannot run without in production; the carriers' are needed only for the carriers routed to. */
export const REQUIRED_SECRETS = ["ADMIN_TOKEN", "DATA_ENCRYPTION_KEY"];
export const CARRIER_SECRETS = [
  "SIMULATOR_WEBHOOK_SECRET",
  "TWILIO_ACCOUNT_SID",
  "TWILIO_AUTH_TOKEN",
  "TWILIO_MESSAGING_SERVICE_SID",
  "VONAGE_API_KEY",
  "VONAGE_API_SECRET",
  "VONAGE_SIGNATURE_SECRET",
  "ALIBABA_RECEIPT_TOKEN",
  "SMPP_BRIDGE_SECRET",
];

/** The environment deployed: wrangler.toml's `[env.production]` (its top level is local development). */
export const ENV = "production";
const ENV_HEADER = `[env.${ENV}]`;
const D1_BLOCK = new RegExp(
  `(\\[\\[env\\.${ENV}\\.d1_databases\\]\\]\\s*\\nbinding\\s*=\\s*"([^"]+)"\\s*\\ndatabase_name\\s*=\\s*"([^"]+)"\\s*\\ndatabase_id\\s*=\\s*")([^"]*)(")`,
  "g",
);

/** The production environment's part of wrangler.toml (it is the file's last section), and what comes before it. */
function split(toml) {
  const at = toml.indexOf(ENV_HEADER);
  if (at < 0) throw new Error(`wrangler.toml has no ${ENV_HEADER} section`);
  return { before: toml.slice(0, at), production: toml.slice(at) };
}

/** What the production environment declares: D1 databases (binding, name, id) and every queue name. */
export function readConfig(toml) {
  const { production } = split(toml);
  const databases = [...production.matchAll(D1_BLOCK)].map(([, , binding, name, id]) => ({ binding, name, id }));
  const queues = new Set([...production.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]));
  const variable = (name) => new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m").exec(production)?.[1] ?? "";
  return { databases, queues: [...queues], vars: { LIVE_CARRIER: variable("LIVE_CARRIER"), PUBLIC_BASE_URL: variable("PUBLIC_BASE_URL") } };
}

/** Runs wrangler (from the PATH) and returns its output, or null when it failed (offline, not logged in). */
function wrangler(args) {
  const result = spawnSync("wrangler", args, { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  return result.status === 0 ? result.stdout : null;
}

/** What the account has: D1 databases by name (with ids), queue names, the Worker's secret names; null where unreadable. */
export function readAccount() {
  const d1 = wrangler(["d1", "list", "--json"]);
  const queues = wrangler(["queues", "list"]);
  const secrets = wrangler(["secret", "list", "--format", "json", "--env", ENV]);
  const parse = (text) => {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  };
  const databases = d1 && parse(d1);
  return {
    databases: Array.isArray(databases) ? new Map(databases.map((db) => [db.name, db.uuid])) : null,
    // `wrangler queues list` prints a table; a queue's name is a cell of its row.
    queues: queues === null ? null : new Set([...queues.matchAll(/│\s*[0-9a-f]{32}\s*│\s*([A-Za-z0-9_-]+)\s*│/g)].map((m) => m[1])),
    // A Worker not deployed yet has no secrets to list.
    secrets: new Set((parse(secrets ?? "[]") ?? []).map((s) => s.name)),
  };
}

/** The steps, in order, for this config and account: commands to run, and what stops the deploy. */
export function plan(config, account, { dryRun }) {
  const steps = [];
  const knownDatabases = account.databases ?? new Map();
  for (const db of config.databases) {
    if (!knownDatabases.has(db.name)) steps.push({ run: ["d1", "create", db.name], why: `D1 database for ${db.binding}` });
  }
  const knownQueues = account.queues ?? new Set();
  for (const queue of config.queues) if (!knownQueues.has(queue)) steps.push({ run: ["queues", "create", queue], why: "queue" });
  const missingSecrets = REQUIRED_SECRETS.filter((name) => !account.secrets.has(name));
  const carrierSecrets = CARRIER_SECRETS.filter((name) => !account.secrets.has(name));
  for (const db of config.databases) steps.push({ run: ["d1", "migrations", "apply", db.binding, "--remote", "--env", ENV], why: "migrations" });
  const deploy = ["deploy", "--env", ENV];
  steps.push({ run: dryRun ? [...deploy, "--dry-run", "--outdir", ".wrangler/deploy-dry-run"] : deploy, why: "the Worker" });
  // What the deployed gateway would refuse live sends for (src/domain/deployment.ts checks the same at run time).
  const warnings = [];
  if (!config.vars?.LIVE_CARRIER || config.vars.LIVE_CARRIER === "simulator") warnings.push("LIVE_CARRIER is the simulator");
  if (!/^https:\/\/[^/]+/.test(config.vars?.PUBLIC_BASE_URL ?? "")) warnings.push("PUBLIC_BASE_URL is not set to the https URL carriers reach");
  return { steps, missingSecrets, carrierSecrets, warnings, accountUnread: account.databases === null || account.queues === null };
}

/** Writes each production database's id (from the account) into wrangler.toml where it differs; returns the bindings changed. */
export function writeDatabaseIds(toml, ids) {
  const changed = [];
  const { before, production } = split(toml);
  const updated = production.replace(D1_BLOCK, (whole, head, binding, name, id, tail) => {
    const real = ids.get(name);
    if (!real || real === id) return whole;
    changed.push(binding);
    return `${head}${real}${tail}`;
  });
  return { toml: before + updated, changed };
}

function main() {
  const dryRun = process.argv.includes("--dry-run");
  const tomlPath = join(root, "wrangler.toml");
  const config = readConfig(readFileSync(tomlPath, "utf8"));
  const account = readAccount();
  const { steps, missingSecrets, carrierSecrets, warnings, accountUnread } = plan(config, account, { dryRun });

  console.log(`Deploy plan${dryRun ? " (dry run: only `wrangler deploy --dry-run` is run)" : ""}:`);
  if (accountUnread) console.log("  (the account could not be read, offline or not logged in: planned as a fresh account)");
  for (const step of steps) console.log(`  wrangler ${step.run.join(" ")}    # ${step.why}`);
  if (carrierSecrets.length > 0) console.log(`  carrier secrets not set (needed only for the carriers you route to): ${carrierSecrets.join(", ")}`);
  for (const warning of warnings) console.log(`  [env.production.vars] ${warning}: the gateway will refuse live sends until it is (docs/DEPLOY.md)`);
  if (missingSecrets.length > 0) {
    console.log(`  required secrets not set: ${missingSecrets.join(", ")} — set each with \`wrangler secret put NAME --env production\``);
  }

  if (dryRun) {
    const deploy = steps.at(-1);
    const result = spawnSync("wrangler", deploy.run, { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    process.exit(result.status ?? 1);
  }
  if (missingSecrets.length > 0) {
    console.error("Stopped: set the required secrets first (no value is ever printed).");
    process.exit(1);
  }
  let idsWritten = false;
  for (const step of steps) {
    if (step.run[0] === "d1" && step.run[1] === "migrations" && !idsWritten) {
      // Every database exists now: its id goes into wrangler.toml before anything binds it.
      idsWritten = true;
      const ids = readAccount().databases;
      if (!ids) {
        console.error("Stopped: the account's D1 databases could not be listed.");
        process.exit(1);
      }
      const { toml, changed } = writeDatabaseIds(readFileSync(tomlPath, "utf8"), ids);
      if (changed.length > 0) {
        writeFileSync(tomlPath, toml);
        console.log(`Wrote the database ids of ${changed.join(", ")} into wrangler.toml: commit it.`);
      }
    }
    console.log(`$ wrangler ${step.run.join(" ")}`);
    const result = spawnSync("wrangler", step.run, { cwd: root, stdio: "inherit", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
