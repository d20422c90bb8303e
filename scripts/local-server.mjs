// Helpers shared by `npm run dev`, `npm run bench` and the console's browser tests for driving a local `wrangler dev`.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const wrangler = join(root, "node_modules", ".bin", "wrangler");

/**
 * Local secrets: .dev.vars, created from the committed example when missing; a setting the example has
 * gained since (a new secret) is appended to an older .dev.vars, so `npm run dev` keeps working.
 */
export function devVars() {
  const file = join(root, ".dev.vars");
  const example = join(root, ".dev.vars.example");
  if (!existsSync(file)) {
    copyFileSync(example, file);
    console.log("Created .dev.vars from .dev.vars.example");
  }
  const names = (text) => new Set([...text.matchAll(/^\s*([A-Z0-9_]+)\s*=/gm)].map((m) => m[1]));
  const have = names(readFileSync(file, "utf8"));
  const missing = readFileSync(example, "utf8").split("\n").filter((line) => [...names(line)].some((name) => !have.has(name)));
  if (missing.length > 0) {
    appendFileSync(file, `\n# Added from .dev.vars.example\n${missing.join("\n")}\n`);
    console.log(`Added to .dev.vars from .dev.vars.example: ${missing.map((line) => line.split("=")[0]).join(", ")}`);
  }
  const vars = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/** The D1 bindings of wrangler.toml: the control database (DB) and the shards. Each gets every migration. */
export function d1Bindings() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  return [...toml.matchAll(/\[\[d1_databases\]\]\s*\nbinding\s*=\s*"([A-Z0-9_]+)"/g)].map((m) => m[1]);
}

/**
 * Applies migrations to every D1 database (`extra` e.g. `--persist-to <dir>`), locally unless `remote`;
 * true if all applied.
 */
export function migrateAll(extra = [], options = {}) {
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  // Remote is the deployed environment (wrangler.toml's [env.production]); local is the top level.
  const where = options.remote ? ["--remote", "--env", "production"] : ["--local"];
  return d1Bindings().every(
    (binding) => spawnSync(wrangler, ["d1", "migrations", "apply", binding, ...where, ...extra], { cwd: root, env, stdio: options.stdio ?? "ignore" }).status === 0,
  );
}

/** Polls `path` (the log says "Ready" before the Worker answers) until it answers or the child dies. */
export async function waitForHealth(base, child, timeoutMs = 60_000, path = "/health") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("wrangler dev exited before it was ready");
    try {
      if ((await fetch(`${base}${path}`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${base}${path} did not answer within ${timeoutMs / 1000}s`);
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * `wrangler dev` on loopback in its own process group, with `args` after it; `stop()` ends that group (and
 * nothing else), then runs `cleanup`. It also stops when this process exits.
 */
export function startWranglerDev(args, cleanup = () => {}) {
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const child = spawn(wrangler, ["dev", "--ip", "127.0.0.1", ...args], { cwd: root, env, detached: true, stdio: ["ignore", "ignore", "inherit"] });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    cleanup();
  };
  process.on("exit", stop);
  return { child, stop };
}

/**
 * A throwaway gateway for a bench or a browser test: its own port and databases (migrated, optionally
 * seeded with SQL per binding: `{ DB: "…", SHARD_1: "…" }`), `wrangler dev` in its own process group, so
 * `stop()` stops it and nothing else.
 * `vars` are the secrets it runs with (.dev.vars, made from the example on a fresh clone).
 */
export async function startGateway({ seedSql, logLevel = "warn", workerVars = {}, persistDir, keepPersist = false } = {}) {
  // Before wrangler starts: it reads its secrets (ADMIN_TOKEN among them) from .dev.vars only at start.
  const vars = devVars();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // `persistDir` restarts on a gateway's databases kept (`keepPersist`) from an earlier start.
  const persist = persistDir ?? mkdtempSync(join(tmpdir(), "sms-gateway-"));
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const run = (args, what) => {
    if (spawnSync(wrangler, args, { cwd: root, env, stdio: "ignore" }).status !== 0) throw new Error(`${what} failed`);
  };
  if (!migrateAll(["--persist-to", persist])) throw new Error("applying migrations failed");
  for (const [binding, sql] of Object.entries(seedSql ?? {})) {
    const seedFile = join(persist, `seed-${binding}.sql`);
    writeFileSync(seedFile, sql);
    run(["d1", "execute", binding, "--local", "--persist-to", persist, "--file", seedFile], `seeding ${binding}`);
  }
  // `workerVars` override wrangler.toml's [vars] for this run (e.g. LOG_LEVEL).
  const overrides = Object.entries(workerVars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const { child, stop } = startWranglerDev(["--port", String(port), "--persist-to", persist, "--log-level", logLevel, ...overrides], () => {
    if (!keepPersist) rmSync(persist, { recursive: true, force: true });
  });
  try {
    await waitForHealth(base, child);
  } catch (error) {
    stop();
    throw error;
  }
  return { base, child, stop, vars, persist };
}
