import type { KeyMode } from "../domain/api-key";
import { createSimulator, SIMULATOR, type SimulatorDeps } from "./simulator";
import { createTwilio, TWILIO } from "./twilio";
import type { CarrierAdapter } from "./types";
import { createVonage, VONAGE } from "./vonage";

/** Carriers a route may name: those we can submit to. (SMPP bridges and Alibaba only post receipts here.) */
export const ROUTABLE_CARRIERS = [SIMULATOR, TWILIO, VONAGE] as const;

export type CarrierEnv = Pick<
  Env,
  "PUBLIC_BASE_URL" | "TWILIO_ACCOUNT_SID" | "TWILIO_AUTH_TOKEN" | "TWILIO_MESSAGING_SERVICE_SID" | "VONAGE_API_KEY" | "VONAGE_API_SECRET"
>;

/** The carrier a new message is recorded with until its first submit picks one from the route. */
export function carrierNameFor(mode: KeyMode, env: Pick<Env, "LIVE_CARRIER">): string {
  return mode === "test" ? SIMULATOR : env.LIVE_CARRIER;
}

const callback = (env: CarrierEnv, carrier: string) => (env.PUBLIC_BASE_URL ? `${env.PUBLIC_BASE_URL.replace(/\/$/, "")}/webhooks/${carrier}/status` : null);

/** The adapter for `name`, or null when there is none or its credentials are not set. */
export function carrierAdapter(name: string, env: CarrierEnv, deps: SimulatorDeps): CarrierAdapter | null {
  switch (name) {
    case SIMULATOR:
      return createSimulator(deps);
    case TWILIO:
      if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) return null;
      return createTwilio({
        accountSid: env.TWILIO_ACCOUNT_SID,
        authToken: env.TWILIO_AUTH_TOKEN,
        messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID || null,
        statusCallback: callback(env, TWILIO),
      });
    case VONAGE:
      if (!env.VONAGE_API_KEY || !env.VONAGE_API_SECRET) return null;
      return createVonage({ apiKey: env.VONAGE_API_KEY, apiSecret: env.VONAGE_API_SECRET, statusCallback: callback(env, VONAGE) });
    default:
      return null;
  }
}
