import { and, eq, isNull, lte, or, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { carrierHealth, type CarrierHealthRow } from "../db/schema";
import { BREAKER_COOLDOWN_MS, BREAKER_THRESHOLD, breakerState, WITHOUT_BREAKER } from "../domain/circuit-breaker";
import { log } from "../lib/log";

/** What one consumer batch saw of a carrier: whether a submit went through, and the failures since the last that did. */
interface Tally {
  succeeded: boolean;
  failures: number;
}

/**
 * Per-carrier circuit breakers, in D1 so every isolate sees the same state. A consumer batch reads them
 * once (with its claim), counts its submits' outcomes in memory, and writes one statement per carrier
 * whose state changed, with its other writes (`writes`).
 */
export class CarrierBreakers {
  private readonly tallies = new Map<string, Tally>();

  private constructor(
    private readonly db: Db,
    private readonly rows: Map<string, CarrierHealthRow>,
  ) {}

  static from(db: Db, rows: readonly CarrierHealthRow[]): CarrierBreakers {
    return new CarrierBreakers(db, new Map(rows.map((row) => [row.carrier, row])));
  }

  static async load(db: Db): Promise<CarrierBreakers> {
    return CarrierBreakers.from(db, await db.select().from(carrierHealth));
  }

  /** The statement a claim batch reads the breakers with (rows for `from`). */
  static readonly query = sql`SELECT carrier, failures, open_until AS openUntil, probe_at AS probeAt, updated_at AS updatedAt FROM carrier_health`;

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

  /** A submit the carrier took: its circuit closes. */
  succeeded(carrier: string, now: number): void {
    if (WITHOUT_BREAKER.includes(carrier)) return;
    const row = this.rows.get(carrier);
    // A clean circuit stays clean with no write, unless this batch counted a failure first.
    if (!this.tallies.has(carrier) && (!row || (row.failures === 0 && row.openUntil === null))) return;
    this.tallies.set(carrier, { succeeded: true, failures: 0 });
    if (row?.openUntil) log.info("carrier_circuit_closed", { carrier });
    if (row) this.rows.set(carrier, { ...row, failures: 0, openUntil: null, probeAt: null, updatedAt: now });
  }

  /** A transient failure: the circuit opens at the threshold, and a failed probe (or any failure while open) reopens it. */
  failed(carrier: string, now: number): void {
    if (WITHOUT_BREAKER.includes(carrier)) return;
    const tally = this.tallies.get(carrier) ?? { succeeded: false, failures: 0 };
    this.tallies.set(carrier, { ...tally, failures: tally.failures + 1 });
    const row = this.rows.get(carrier);
    const failures = (row?.failures ?? 0) + 1;
    const open = failures >= BREAKER_THRESHOLD || (row?.openUntil ?? null) !== null;
    if (open && !row?.openUntil) log.warn("carrier_circuit_opened", { carrier, failures });
    this.rows.set(carrier, { carrier, failures, openUntil: open ? now + BREAKER_COOLDOWN_MS : null, probeAt: null, updatedAt: now });
  }

  /**
   * The writes for what this batch saw, one per carrier: a success resets the count, failures add to it
   * (to what D1 holds now, which another batch may have moved), opening the circuit at the threshold.
   */
  writes(now: number): SQL[] {
    const until = now + BREAKER_COOLDOWN_MS;
    const statements = [...this.tallies].map(([carrier, { succeeded, failures }]) => {
      const base = succeeded ? sql`0` : sql`${carrierHealth.failures}`;
      const wasOpen = succeeded ? sql`0` : sql`${carrierHealth.openUntil} IS NOT NULL`;
      return sql`INSERT INTO carrier_health (carrier, failures, open_until, probe_at, updated_at)
        VALUES (${carrier}, ${failures}, ${failures >= BREAKER_THRESHOLD ? until : null}, NULL, ${now})
        ON CONFLICT (carrier) DO UPDATE SET
          failures = ${base} + ${failures},
          open_until = CASE WHEN ${failures} > 0 AND (${base} + ${failures} >= ${BREAKER_THRESHOLD} OR ${wasOpen}) THEN ${until} ELSE NULL END,
          probe_at = NULL, updated_at = ${now}`;
    });
    this.tallies.clear();
    return statements;
  }

  /** Writes what this batch saw on its own (for callers with no batch of their own to add it to). */
  async flush(now: number): Promise<void> {
    const writes = this.writes(now);
    if (writes.length > 0) await runBatch(this.db, writes);
  }
}

export async function listCarrierHealth(db: Db): Promise<CarrierHealthRow[]> {
  return db.select().from(carrierHealth).orderBy(carrierHealth.carrier);
}
