/**
 * A seam on the D1 binding: sees each round trip (each `batch`, `run`, `all`, `first`, `raw`, `exec`). Tests
 * observe (and can fail) chosen ones, as an unreachable database would; the operator can count them in an
 * isolate for a benchmark (GET /v1/admin/d1-calls). Only a handle made while one of the two is on is
 * watched; otherwise `watchD1` hands the binding back untouched.
 */
export type D1Call = { method: "batch" | "run" | "all" | "first" | "raw" | "exec"; sql: string[] };
export type D1Observer = (call: D1Call) => void;

let observer: D1Observer | null = null;
/** Round trips (and the statements they carried) counted in this isolate since counting started; null while it is off. */
let counted: { calls: number; statements: number } | null = null;

/** Starts (or restarts) counting this isolate's D1 round trips. */
export function startCountingD1(): void {
  counted = { calls: 0, statements: 0 };
}

export function countedD1Calls(): { calls: number; statements: number } | null {
  return counted;
}

/** Tests only: installs an observer (it may throw to fail the call); returns the uninstall. */
export function observeD1(next: D1Observer): () => void {
  observer = next;
  return () => {
    if (observer === next) observer = null;
  };
}

const ROUND_TRIPS = ["run", "all", "first", "raw"] as const;

function watchStatement(statement: D1PreparedStatement, sql: string, report: D1Observer): D1PreparedStatement {
  const bind = statement.bind.bind(statement);
  statement.bind = (...values: unknown[]) => watchStatement(bind(...values), sql, report);
  for (const method of ROUND_TRIPS) {
    const original = (statement[method] as (...args: unknown[]) => Promise<unknown>).bind(statement);
    (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      report({ method, sql: [sql] });
      return original(...args);
    };
  }
  (statement as unknown as { __sql: string }).__sql = sql;
  return statement;
}

export function watchD1(d1: D1Database): D1Database {
  const watcher = observer;
  if (!watcher && counted === null) return d1;
  const report: D1Observer = (call) => {
    if (counted !== null) {
      counted.calls += 1;
      counted.statements += call.sql.length;
    }
    watcher?.(call);
  };
  return {
    prepare: (sql: string) => watchStatement(d1.prepare(sql), sql, report),
    batch: <T>(statements: D1PreparedStatement[]) => {
      report({ method: "batch", sql: statements.map((s) => (s as unknown as { __sql?: string }).__sql ?? "") });
      return d1.batch<T>(statements);
    },
    exec: (sql: string) => {
      report({ method: "exec", sql: [sql] });
      return d1.exec(sql);
    },
    withSession: d1.withSession.bind(d1),
    dump: d1.dump.bind(d1),
  } as D1Database;
}
