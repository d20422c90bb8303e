// The shared bare-bindings Worker (../shared/bench-baseline): copied into an ignored folder of the project so
// its imports resolve here, migrated into its own state, and run with the project's wrangler on its own port.
// `stop()` ends only the process group it started.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, root, startWranglerDev, waitForHealth, wrangler } from "../scripts/local-server.mjs";

export const BASELINE_SOURCE = join(root, "..", "shared", "bench-baseline");
const copy = join(root, ".bench-baseline");

export async function startBaseline() {
  if (!existsSync(BASELINE_SOURCE)) throw new Error(`${BASELINE_SOURCE} is missing: the bench compares the gateway against it`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(BASELINE_SOURCE, copy, { recursive: true });
  const config = join(copy, "wrangler.toml");
  const state = join(copy, "state");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const migrated = spawnSync(wrangler, ["d1", "migrations", "apply", "bench", "--local", "--config", config, "--persist-to", state], { cwd: root, env, stdio: "ignore" });
  if (migrated.status !== 0) throw new Error("the baseline's migration failed");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child, stop } = startWranglerDev(["--config", config, "--port", String(port), "--persist-to", state, "--log-level", "warn"]);
  try {
    await waitForHealth(base, child, 60_000, "/hello");
  } catch (error) {
    stop();
    throw error;
  }
  return { base, stop };
}
