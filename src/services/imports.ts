import { csvRows } from "../lib/csv";
import type { FieldError } from "../lib/errors";

// What the bulk imports (block list, contacts) share: their rows and their report.

/** Errors listed in an import's answer; the rest are only counted. */
export const IMPORT_ERRORS_SHOWN = 100;

export interface ImportReport {
  imported: number;
  updated: number;
  invalid: number;
  errors: (FieldError & { row: number; input: string })[];
  /** Invalid rows beyond the ones listed in `errors`. */
  errors_not_shown: number;
}

/** Adds an invalid row to a report: listed while there is room, counted always. */
export function reportInvalid(report: ImportReport, row: number, input: string, message: string): void {
  report.invalid += 1;
  if (report.errors.length < IMPORT_ERRORS_SHOWN) report.errors.push({ row, input, path: `row ${row}`, message });
  else report.errors_not_shown += 1;
}

export function emptyReport(): ImportReport {
  return { imported: 0, updated: 0, invalid: 0, errors: [], errors_not_shown: 0 };
}

/** Rows of a JSON import: strings, or objects with the columns as keys. Rows count from 1. */
export async function* jsonRows(items: (string | Record<string, string>)[]) {
  let row = 0;
  for (const item of items) {
    row += 1;
    yield { row, values: typeof item === "string" ? { phone: item } : item };
  }
}

/** Rows of a CSV import, numbered by their line in the file. */
export async function* csvImportRows(body: ReadableStream<Uint8Array>) {
  for await (const { line, values } of csvRows(body)) yield { row: line, values };
}
