import { and, eq, isNull, lte, or, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { carrierHealth, type CarrierHealthRow } from "../db/schema";
import { BREAKER_COOLDOWN_MS, BREAKER_THRESHOLD, breakerState, WITHOUT_BREAKER } from "../domain/circuit-breaker";
import { log } from "../lib/log";

/**
 * Per-carrier circuit breakers, in D1 so every isolate sees the same state. A consumer batch reads them
 * once; each outcome updates one row only when it changes something.
 */
export class CarrierBreakers {
  private constructor(
    private readonly db: Db,
    private readonly rows: Map<string, CarrierHealthRow>,
  ) {}

  static async load(db: Db): Promise<CarrierBreakers> {
    const rows = await db.select().from(carrierHealth);
    return new CarrierBreakers(db, new Map(rows.map((row) => [row.carrier, row])));
  }

  /** Open: skip it. Half-open: one probe may go, claimed by a conditional update; the others skip it. */
  async available(carrier: string, now: number): Promise<boolean> {
    if (WITHOUT_BREAKER.includes(carrier)) return true;
    const row = this.rows.get(carrier);
    const state = breakerState(row, now);
    if (state === "closed") return true;
    if (state === "open") return false;
    const [claimed] = await this.db
      .update(carrierHealth)
      .set({ probeAt: now })
      .where(
        and(
          eq(carrierHealth.carrier, carrier),
          lte(carrierHealth.openUntil, now),
          or(isNull(carrierHealth.probeAt), lt(carrierHealth.probeAt, now - BREAKER_COOLDOWN_MS)),
        ),
      )
      .returning();
    if (claimed) this.rows.set(carrier, claimed);
    return claimed !== undefined;
  }

  /** A submit the carrier took: its circuit closes (a write only if it was not already closed and clean). */
  async succeeded(carrier: string, now: number): Promise<void> {
    const row = this.rows.get(carrier);
    if (!row || (row.failures === 0 && row.openUntil === null)) return;
    await this.db.update(carrierHealth).set({ failures: 0, openUntil: null, probeAt: null, updatedAt: now }).where(eq(carrierHealth.carrier, carrier));
    this.rows.set(carrier, { ...row, failures: 0, openUntil: null, probeAt: null, updatedAt: now });
    if (row.openUntil !== null) log.info("carrier_circuit_closed", { carrier });
  }

  /** A transient failure: the circuit opens at the threshold, and a failed probe (or any failure while open) reopens it. */
  async failed(carrier: string, now: number): Promise<void> {
    if (WITHOUT_BREAKER.includes(carrier)) return;
    const until = now + BREAKER_COOLDOWN_MS;
    const [row] = await this.db
      .insert(carrierHealth)
      .values({ carrier, failures: 1, openUntil: BREAKER_THRESHOLD <= 1 ? until : null, updatedAt: now })
      .onConflictDoUpdate({
        target: carrierHealth.carrier,
        set: {
          failures: sql`${carrierHealth.failures} + 1`,
          openUntil: sql`CASE WHEN ${carrierHealth.failures} + 1 >= ${BREAKER_THRESHOLD} OR ${carrierHealth.openUntil} IS NOT NULL THEN ${until} ELSE NULL END`,
          probeAt: null,
          updatedAt: now,
        },
      })
      .returning();
    if (!row) return;
    const wasOpen = this.rows.get(carrier)?.openUntil ?? null;
    this.rows.set(carrier, row);
    if (row.openUntil !== null && wasOpen === null) log.warn("carrier_circuit_opened", { carrier, failures: row.failures });
  }
}

export async function listCarrierHealth(db: Db): Promise<CarrierHealthRow[]> {
  return db.select().from(carrierHealth).orderBy(carrierHealth.carrier);
}
