import { parse } from "csv-parse/stream";
import { ApiError } from "./errors";

export interface CsvRow {
  /** The line the record starts on, counting the header as line 1. */
  line: number;
  values: Record<string, string>;
}

/**
 * Reads CSV records from a request body as it arrives, one at a time: a header row names the columns
 * (trimmed, lower-cased); a byte-order mark, CRLF, quoted fields and blank lines are all understood.
 */
export async function* csvRows(body: ReadableStream<Uint8Array>): AsyncGenerator<CsvRow> {
  const parser = parse({
    bom: true,
    columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
    info: true,
  });
  const records = body.pipeThrough(parser as unknown as TransformStream<Uint8Array, { record: Record<string, string>; info: { lines: number } }>);
  try {
    for await (const { record, info } of records) yield { line: info.lines, values: record };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError("validation_failed", `The CSV cannot be read: ${(error as Error).message}`, {
      errors: [{ path: "body", message: (error as Error).message }],
    });
  }
}
