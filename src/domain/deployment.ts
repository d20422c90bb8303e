import { webhookUrlProblem } from "./webhook-url";

/** The settings that decide whether live traffic can really go out and come back. */
export interface DeploymentSettings {
  ENVIRONMENT?: string;
  LIVE_CARRIER?: string;
  PUBLIC_BASE_URL?: string;
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
  }
  const base = settings.PUBLIC_BASE_URL ?? "";
  const baseProblem = base ? webhookUrlProblem(base, false) : "is not set";
  if (baseProblem) problems.push(`PUBLIC_BASE_URL ${baseProblem}: carriers could not post delivery receipts to it`);
  return problems;
}
