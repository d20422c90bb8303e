import { webhookUrlProblem } from "./webhook-url";

/** The settings that decide whether live traffic can really go out and come back. */
export interface DeploymentSettings extends CarrierSettings {
  ENVIRONMENT?: string;
  LIVE_CARRIER?: string;
  PUBLIC_BASE_URL?: string;
}

/** The carriers' secrets, as wrangler.toml and the secrets store give them. */
export interface CarrierSettings {
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_MESSAGING_SERVICE_SID?: string;
  VONAGE_API_KEY?: string;
  VONAGE_API_SECRET?: string;
}

/** What keeps a carrier from taking a message: `problems` stop every send; `warnings` stop some (no sender). */
export interface CarrierReadiness {
  usable: boolean;
  problems: string[];
  warnings: string[];
}

/** Whether the gateway can submit to `carrier` with these settings (src/carriers/registry.ts builds the adapters from them). */
export function carrierReadiness(carrier: string, settings: CarrierSettings): CarrierReadiness {
  const problems: string[] = [];
  const warnings: string[] = [];
  const unset = (names: (keyof CarrierSettings)[]) => names.filter((name) => !settings[name]);
  switch (carrier) {
    case "simulator":
      break;
    case "twilio": {
      const missing = unset(["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]);
      if (missing.length > 0) problems.push(`twilio has no usable credentials (${missing.join(", ")} not set): every send to it fails no_route`);
      if (!settings.TWILIO_MESSAGING_SERVICE_SID) warnings.push("twilio has no TWILIO_MESSAGING_SERVICE_SID: a message without a sender (its own or the tenant's default) fails sender_required");
      break;
    }
    case "vonage": {
      const missing = unset(["VONAGE_API_KEY", "VONAGE_API_SECRET"]);
      if (missing.length > 0) problems.push(`vonage has no usable credentials (${missing.join(", ")} not set): every send to it fails no_route`);
      warnings.push("vonage needs each message's sender (its own or the tenant's default): one without fails sender_required");
      break;
    }
    default:
      problems.push(`${carrier} is not a carrier this gateway can submit to`);
  }
  return { usable: problems.length === 0, problems, warnings };
}

/**
 * Why a production deployment must not take live sends, if it must not: a live carrier that is the simulator
 * would charge messages that never reach a handset, and a callback base carriers cannot reach would leave
 * every message `sent` with no receipt. Empty outside production (`wrangler dev`, tests) and when all is set.
 */
export function liveSendingProblems(settings: DeploymentSettings): string[] {
  if (settings.ENVIRONMENT !== "production") return [];
  const problems: string[] = [];
  if (!settings.LIVE_CARRIER || settings.LIVE_CARRIER === "simulator") {
    problems.push("LIVE_CARRIER is the simulator: live messages would be charged and never reach a handset");
  } else {
    problems.push(...carrierReadiness(settings.LIVE_CARRIER, settings).problems.map((problem) => `LIVE_CARRIER: ${problem}`));
  }
  const base = settings.PUBLIC_BASE_URL ?? "";
  const baseProblem = base ? webhookUrlProblem(base, false) : "is not set";
  if (baseProblem) problems.push(`PUBLIC_BASE_URL ${baseProblem}: carriers could not post delivery receipts to it`);
  return problems;
}
