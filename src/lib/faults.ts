/**
 * Test seams for the message lifecycle. Production code marks each step with `checkpoint`; a test arms a
 * step to throw there, before its D1 write (as when D1 fails and nothing commits) or after it (as when the
 * write committed but the Worker died before it could act on it), then redelivers as Queues would and
 * checks the end state. Nothing is armed outside tests, so a checkpoint costs one Map lookup.
 */
export const LIFECYCLE_STEPS = [
  "admission",
  "outbox_write",
  "claim",
  "handoff",
  "submit",
  "record_sent",
  "receipt_apply",
  "webhook_fanout",
  "refund",
  "batch_expansion",
  "batch_create",
  "erasure",
] as const;
export type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];
export type FaultTiming = "before" | "after";

export class InjectedFault extends Error {
  constructor(readonly step: LifecycleStep, readonly timing: FaultTiming) {
    super(`injected fault ${timing} ${step}`);
    this.name = "InjectedFault";
  }
}

const armed = new Map<string, number>();
/** Passes to let through before an armed step starts throwing. */
const skips = new Map<string, number>();
const keyOf = (step: LifecycleStep, timing: FaultTiming) => `${timing}:${step}`;

/** Throws if a test armed this step at this timing (each arming fires `times` times, after `skip` passes). */
export function checkpoint(step: LifecycleStep, timing: FaultTiming = "before"): void {
  if (armed.size === 0) return;
  const key = keyOf(step, timing);
  const left = armed.get(key);
  if (!left) return;
  const skip = skips.get(key) ?? 0;
  if (skip > 0) {
    skips.set(key, skip - 1);
    return;
  }
  if (left <= 1) armed.delete(key);
  else armed.set(key, left - 1);
  throw new InjectedFault(step, timing);
}

/** Tests only: makes `times` passes through `step` throw, after letting `skip` through. */
export function injectFault(step: LifecycleStep, timing: FaultTiming = "before", times = 1, skip = 0): void {
  armed.set(keyOf(step, timing), times);
  skips.set(keyOf(step, timing), skip);
}

/** Tests only: the faults armed that have not fired yet (a test checks its fault really happened). */
export function pendingFaults(): string[] {
  return [...armed.keys()];
}

export function clearFaults(): void {
  armed.clear();
  skips.clear();
}
