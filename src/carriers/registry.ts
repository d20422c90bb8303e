import type { KeyMode } from "../domain/api-key";
import { createSimulator, SIMULATOR, type SimulatorDeps } from "./simulator";
import type { CarrierAdapter } from "./types";

/** The carrier a new message is routed to: test keys never leave the simulator. */
export function carrierNameFor(mode: KeyMode, env: Pick<Env, "LIVE_CARRIER">): string {
  return mode === "test" ? SIMULATOR : env.LIVE_CARRIER;
}

export function carrierAdapter(name: string, deps: SimulatorDeps): CarrierAdapter | null {
  return name === SIMULATOR ? createSimulator(deps) : null;
}
