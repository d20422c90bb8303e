import { drizzle } from "drizzle-orm/d1";
import { watchD1 } from "./probe";
import * as schema from "./schema";

export function createDb(d1: D1Database) {
  return drizzle(watchD1(d1), { schema });
}

export type Db = ReturnType<typeof createDb>;
