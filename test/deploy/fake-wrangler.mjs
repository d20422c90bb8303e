#!/usr/bin/env node
// A stand-in for `wrangler` on the PATH, for the deploy planner's tests: it records each call (one JSON line in
// $FAKE_WRANGLER_LOG) and answers from an account kept in $FAKE_WRANGLER_ACCOUNT (JSON: databases, queues,
// secrets), which `d1 create` and `queues create` change as Cloudflare would. `--offline` accounts fail every read.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_WRANGLER_LOG, `${JSON.stringify(args)}\n`);
const file = process.env.FAKE_WRANGLER_ACCOUNT;
const account = JSON.parse(readFileSync(file, "utf8"));
const save = () => writeFileSync(file, JSON.stringify(account));
const hex = (n) => Array.from({ length: n }, (_, i) => ((i * 7 + account.databases.length * 3 + account.queues.length) % 16).toString(16)).join("");
const [a, b] = args;

if (account.offline && !(a === "deploy" && args.includes("--dry-run"))) {
  console.error("✘ [ERROR] You are not logged in.");
  process.exit(1);
}
if (a === "d1" && b === "list") {
  console.log(JSON.stringify(account.databases));
} else if (a === "d1" && b === "create") {
  const uuid = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  account.databases.push({ name: args[2], uuid });
  save();
  console.log(`✅ Successfully created DB '${args[2]}'\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "${args[2]}"\ndatabase_id = "${uuid}"`);
} else if (a === "queues" && b === "list") {
  const rows = account.queues.map((name, i) => `│ ${String(i + 1).padStart(32, "0")} │ ${name} │ 2026-11-30 │ 2026-11-30 │ 1 │ 1 │`);
  console.log(["┌──┐", "│ id │ name │ created_on │ modified_on │ producers │ consumers │", ...rows, "└──┘"].join("\n"));
} else if (a === "queues" && b === "create") {
  account.queues.push(args[2]);
  save();
  console.log(`Created queue ${args[2]}.`);
} else if (a === "secret" && b === "list") {
  if (!account.workerExists) {
    console.error("✘ [ERROR] This Worker does not exist on your account.");
    process.exit(1);
  }
  console.log(JSON.stringify(account.secrets.map((name) => ({ name, type: "secret_text" }))));
} else if (a === "d1" && b === "migrations") {
  console.log(`Migrations applied to ${args[3]}.`);
} else if (a === "deploy") {
  console.log(args.includes("--dry-run") ? "--dry-run: exiting now." : "Deployed sms-gateway.");
} else {
  console.error(`fake wrangler: no answer for ${args.join(" ")}`);
  process.exit(2);
}
